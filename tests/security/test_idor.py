"""Guessed tokens and one supplier reaching another's data (IDOR): registrations, meetings,
questions and votes; moderator endpoints for everyone who is not a moderator."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from django.test import Client
from django.utils import timezone

from conferences.choices import ConferenceStatus
from meetings.choices import MeetingStatus
from meetings.models import Meeting, Slot
from meetings.services import book_slot, generate_slots
from qa.models import Question, Vote
from registrations.access import SESSION_KEY
from registrations.tokens import hash_token
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_question,
    make_registration,
    make_user,
)

pytestmark = pytest.mark.django_db

# Per-response values: the masked CSRF token, and the language switcher's return address
# (the requested path itself, so it echoes the guess back and nothing else).
# Per-response values: the CSRF token, and the page's own address in the language links.
_VARIABLE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|\?next=[^"]*"')


def _live(**overrides):
    values = {
        "status": ConferenceStatus.LIVE,
        "offers_one_to_one": True,
        "starts_at": timezone.now() - dt.timedelta(minutes=5),
        "registration_opens_at": timezone.now() - dt.timedelta(days=2),
        "registration_closes_at": timezone.now() + dt.timedelta(hours=1),
    }
    values.update(overrides)
    return make_conference(**values)


# --- Token guessing -------------------------------------------------------------------------


def test_token_guesses_all_get_the_same_refusal(supplier):
    conference = make_conference()
    supplier(conference)
    other, _ = supplier(conference)
    guesses = [
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(8),
        "a" * 43,
        other.test_token[:-1] + ("A" if other.test_token[-1] != "A" else "B"),  # one char off
        other.test_token.upper(),
        hash_token(other.test_token),  # the stored digest is not a token
        "%27%20OR%201%3D1%20--",  # SQL-looking
    ]

    responses = []
    for guess in guesses:
        client = Client(headers={"accept-language": "en"})
        response = client.get(f"/r/{guess}/")
        responses.append(
            (
                response.status_code,
                _VARIABLE.sub("", response.content.decode()),
                dict(client.session),
            )
        )

    assert {status for status, _, _ in responses} == {404}
    assert len({body for _, body, _ in responses}) == 1
    assert "This link does not work" in responses[0][1]
    assert all(SESSION_KEY not in session for _, _, session in responses)


def test_token_guess_does_not_touch_an_existing_session(supplier):
    conference = make_conference()
    registration, client = supplier(conference)

    client.get(f"/r/{secrets.token_urlsafe(32)}/")
    page = client.get(f"/me/{conference.slug}/")

    assert page.status_code == 200
    assert registration.organisation_name in page.content.decode()


# --- One supplier, another's registration ---------------------------------------------------


def test_idor_session_for_one_conference_opens_nothing_of_another(supplier):
    mine, other = _live(), _live()
    _, client = supplier(mine)
    victim, _ = supplier(other, organisation_name="Offer AS", phone="+47 99 99 99 99")
    make_meeting_settings(conference=other)
    paths = [
        f"/me/{other.slug}/",
        f"/me/{other.slug}/cancel/",
        f"/me/{other.slug}/calendar.ics",
        f"/me/{other.slug}/stream/",
        f"/me/{other.slug}/stream/events/",
        f"/me/{other.slug}/meeting/",
        f"/me/{other.slug}/meeting/calendar.ics",
    ]

    for path in paths:
        response = client.get(path)

        assert response.status_code == 403, path
        assert b"Offer AS" not in response.content, path
    cancelled = client.post(f"/me/{other.slug}/cancel/")
    victim.refresh_from_db()
    assert cancelled.status_code == 403
    assert victim.cancelled_at is None


def test_idor_vote_on_another_conferences_question_is_refused(supplier):
    mine, other = _live(), _live()
    _, client = supplier(mine)
    foreign = make_question(conference=other, status="published")

    through_mine = client.post(f"/me/{mine.slug}/stream/questions/{foreign.pk}/vote/")
    through_theirs = client.post(f"/me/{other.slug}/stream/questions/{foreign.pk}/vote/")

    assert through_mine.status_code == 302  # back to the page with an error message
    assert through_theirs.status_code == 403
    assert Vote.objects.count() == 0
    foreign.refresh_from_db()
    assert foreign.vote_count == 0


def test_idor_vote_on_unpublished_question_of_another_supplier_is_refused(supplier):
    conference = _live()
    _, client = supplier(conference)
    awaiting = make_question(conference=conference, status="awaiting", text="Hemmelig utkast?")

    response = client.post(
        f"/me/{conference.slug}/stream/questions/{awaiting.pk}/vote/",
        headers={"x-requested-with": "fetch"},
    )

    assert response.status_code == 409
    assert Vote.objects.count() == 0


def test_idor_stream_shows_only_own_unpublished_questions(supplier):
    conference = _live()
    me, client = supplier(conference)
    other, _ = supplier(conference)
    make_question(registration=me, status="awaiting", text="Mitt eget spørsmål?")
    make_question(registration=other, status="awaiting", text="Andres utkast?")
    make_question(
        registration=other, status="rejected", text="Andres avviste?", rejection_reason="Grunn X"
    )

    html = client.get(f"/me/{conference.slug}/stream/").content.decode()

    assert "Mitt eget spørsmål?" in html
    assert "Andres utkast?" not in html
    assert "Andres avviste?" not in html
    assert "Grunn X" not in html


# --- Meetings -------------------------------------------------------------------------------


@pytest.fixture
def two_booked(supplier):
    conference = make_conference(offers_one_to_one=True)
    make_meeting_settings(conference=conference)
    generate_slots(conference_id=conference.pk)
    (me, my_client), (other, _) = (
        supplier(conference, wants_one_to_one=True),
        supplier(conference, wants_one_to_one=True),
    )
    slots = list(Slot.objects.filter(conference_id=conference.pk).order_by("starts_at"))
    mine = book_slot(registration_id=me.pk, slot_id=slots[0].pk)
    theirs = book_slot(registration_id=other.pk, slot_id=slots[1].pk)
    return conference, my_client, mine, theirs, slots


def test_idor_cancel_cancels_only_own_meeting(two_booked):
    conference, client, mine, theirs, _ = two_booked

    client.post(f"/me/{conference.slug}/meeting/cancel/")

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (MeetingStatus.CANCELLED, MeetingStatus.BOOKED)


def test_idor_change_to_another_suppliers_slot_is_refused(two_booked):
    conference, client, mine, theirs, _ = two_booked

    their_time = int(theirs.slot.starts_at.timestamp())
    client.post(f"/me/{conference.slug}/meeting/change/", {"time": their_time})

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.slot_id, theirs.slot_id) != (theirs.slot_id, theirs.slot_id)
    assert theirs.status == MeetingStatus.BOOKED
    assert Meeting.objects.filter(slot_id=theirs.slot_id, status=MeetingStatus.BOOKED).count() == 1


def test_idor_booking_a_slot_of_another_conference_is_refused(supplier):
    mine = make_conference(offers_one_to_one=True)
    other = make_conference(offers_one_to_one=True)
    day = (timezone.now() + dt.timedelta(days=6)).date()
    for conference, start, end in (
        (mine, dt.time(10), dt.time(12)),
        (other, dt.time(14), dt.time(16)),
    ):
        make_meeting_settings(conference=conference, windows=[(day, start, end)])
        generate_slots(conference_id=conference.pk)
    _, client = supplier(mine, wants_one_to_one=True)
    foreign = Slot.objects.filter(conference_id=other.pk).first()

    client.post(f"/me/{mine.slug}/meeting/book/", {"time": int(foreign.starts_at.timestamp())})

    assert Meeting.objects.count() == 0


def test_idor_meeting_calendar_holds_only_own_meeting(two_booked):
    conference, client, mine, theirs, _ = two_booked

    ics = client.get(f"/me/{conference.slug}/meeting/calendar.ics").content.decode()

    assert str(mine.pk) in ics or mine.slot.starts_at.strftime("%Y%m%d") in ics
    assert theirs.registration.organisation_name not in ics
    assert theirs.registration.email not in ics


def test_idor_staff_meeting_overview_refuses_suppliers_and_anonymous(supplier):
    conference = make_conference(offers_one_to_one=True)
    make_meeting_settings(conference=conference)
    _, client = supplier(conference)
    path = f"/staff/meetings/{conference.slug}/"

    assert client.get(path).status_code in (302, 403)
    assert Client().get(path).status_code in (302, 403)
    assert b"Leverand" not in client.get(path).content


# --- Moderator endpoints --------------------------------------------------------------------


def test_idor_moderation_of_another_conferences_question_is_refused(moderator_client):
    mine, other = _live(), _live()
    foreign = make_question(conference=other, text="Fremmed?")

    card = moderator_client.get(f"/moderate/{mine.slug}/questions/{foreign.pk}/card/")
    moderator_client.post(
        f"/moderate/{mine.slug}/questions/{foreign.pk}/reject/", {"version": 1, "reason": "Nei"}
    )

    foreign.refresh_from_db()
    assert card.status_code == 404
    assert (foreign.status, foreign.rejection_reason) == ("awaiting", "")


@pytest.mark.parametrize("who", ["anonymous", "supplier", "staff without moderation"])
def test_idor_moderator_endpoints_refuse_non_moderators(who, supplier, roles):
    conference = _live()
    question = make_question(conference=conference, text="Venter?")
    if who == "anonymous":
        client = Client()
    elif who == "supplier":
        _, client = supplier(conference)
    else:
        client = Client()
        client.force_login(make_user(is_staff=True))
    base = f"/moderate/{conference.slug}"

    gets = [client.get(p) for p in (f"{base}/", f"{base}/questions/{question.pk}/card/")]
    events = client.get(f"{base}/events/")
    posts = [
        client.post(f"{base}/questions/{question.pk}/approve/", {"version": 1, "text": "Ja"}),
        client.post(f"{base}/questions/{question.pk}/reject/", {"version": 1, "reason": "Nei"}),
        client.post(f"{base}/digest/"),
    ]

    expected = 302 if who != "staff without moderation" else 403
    assert [r.status_code for r in gets + posts] == [expected] * 5
    assert events.status_code == 403
    assert b"Venter?" not in b"".join(r.content for r in gets)
    question.refresh_from_db()
    assert (question.status, question.version) == ("awaiting", 1)
    assert Question.objects.filter(status="published").count() == 0


def test_idor_other_registrations_are_never_listed_with_contact_data(supplier):
    conference = _live()
    _, client = supplier(conference)
    make_registration(
        conference=conference,
        contact_name="Skjult Person",
        email="skjult@leverandor.example",
        listed_publicly=True,
    )

    pages = [
        client.get(f"/me/{conference.slug}/"),
        Client().get(f"/conferences/{conference.slug}/"),
    ]

    for page in pages:
        assert b"Skjult Person" not in page.content
        assert b"skjult@leverandor.example" not in page.content
