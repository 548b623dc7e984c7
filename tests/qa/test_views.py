from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conferences.choices import ConferenceStatus, StreamProvider
from dialogkonferanse.common.spreadsheet import neutralise_cell
from dialogkonferanse.models import OutboundEmail
from qa import services
from qa.models import Attendance, LiveEvent, Question, Vote
from tests.factories import make_conference, make_question, make_registration

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script>\"'&<img src=x onerror=alert(1)>"
IDENTITY = {"organisation_name": "Hemmelig Leverandør AS", "contact_name": "Skjult Person"}


def _stream(conference) -> str:
    return f"/me/{conference.slug}/stream/"


# --- Access -----------------------------------------------------------------------------------


def test_stream_without_registration_explains_how_to_register(live_conference):
    response = Client().get(_stream(live_conference))

    assert response.status_code == 403
    html = response.content.decode()
    assert f"/conferences/{live_conference.slug}/my-link/" in html
    assert "personal link" in html or "personlige lenken" in html


def test_stream_with_registration_shows_player_after_click_and_records_attendance(
    viewer_factory,
):
    conference = make_conference(
        status=ConferenceStatus.LIVE,
        stream_provider=StreamProvider.YOUTUBE,
        stream_url="https://www.youtube.com/watch?v=abcDEF12345",
        fallback_stream_url="https://fallback.example/stream",
        agenda_items=2,
        starts_at=timezone.now() - dt.timedelta(minutes=7),
        registration_opens_at=timezone.now() - dt.timedelta(days=2),
        registration_closes_at=timezone.now(),
    )
    registration, client = viewer_factory(conference)

    response = client.get(_stream(conference))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/abcDEF12345"' in html
    assert "<iframe" not in html  # the player loads only after a click (static JS)
    assert 'href="https://fallback.example/stream"' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"].startswith("max-age=0")
    assert Attendance.objects.get().registration == registration
    assert 'aria-current="time"' in html  # the agenda's current item (the second, 5-10 min)
    assert html.index('aria-current="time"') > html.index("Punkt 1")
    assert "Punkt 2" in html


def test_stream_before_start_shows_countdown_and_no_attendance(viewer_factory):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    _, client = viewer_factory(conference)

    html = client.get(_stream(conference)).content.decode()

    assert 'id="qa-countdown"' in html
    assert Attendance.objects.count() == 0


def test_stream_after_end_links_archive_and_refuses_new_questions(viewer_factory):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    _registration, client = viewer_factory(conference)

    html = client.get(_stream(conference)).content.decode()
    response = client.post(_stream(conference) + "ask/", {"text": "For sent?"})

    assert f'href="/conferences/{conference.slug}/questions/"' in html
    assert 'action="/me/' not in html.split('id="ask"')[1].split("</section>")[0]
    assert response.status_code == 409
    assert "no new questions" in response.content.decode() or "ingen nye" in (
        response.content.decode()
    )
    assert Question.objects.count() == 0


def test_token_of_a_cannot_act_for_b(live_conference, viewer_factory):
    other_conference = make_conference(status=ConferenceStatus.LIVE)
    reg_a, client_a = viewer_factory(live_conference)
    reg_b = make_registration(conference=live_conference)
    question = make_question(registration=reg_b, status="published")

    client_a.post(_stream(live_conference) + "ask/", {"text": "Fra A?"})
    client_a.post(_stream(live_conference) + f"questions/{question.pk}/vote/")
    forbidden = client_a.get(_stream(other_conference))
    events = client_a.get(f"/me/{other_conference.slug}/stream/events/")

    assert list(Question.objects.filter(text="Fra A?").values_list("registration", flat=True)) == [
        reg_a.pk
    ]
    assert list(Vote.objects.values_list("registration", flat=True)) == [reg_a.pk]
    assert forbidden.status_code == 403
    assert events.status_code == 403
    html = client_a.get(_stream(live_conference)).content.decode()
    assert "Fra A?" in html
    assert reg_b.organisation_name not in html


def test_events_and_dashboard_refused_to_strangers(live_conference):
    assert Client().get(f"/me/{live_conference.slug}/stream/events/").status_code == 403
    assert Client().get(f"/moderate/{live_conference.slug}/").status_code == 302
    client = Client()
    from tests.factories import make_user

    client.force_login(make_user(is_staff=True))
    assert client.get(f"/moderate/{live_conference.slug}/").status_code == 403
    assert client.get(f"/moderate/{live_conference.slug}/events/").status_code == 403


# --- Asking and voting without JavaScript (PRG) -----------------------------------------------


def test_ask_then_redirect_shows_own_question_awaiting(live_conference, viewer_factory):
    _, client = viewer_factory(live_conference)

    response = client.post(
        _stream(live_conference) + "ask/", {"text": "Når kommer konkurransen?"}, follow=True
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("/stream/#own-questions")
    assert "Når kommer konkurransen?" in html
    assert "Awaiting moderation" in html or "Venter" in html


def test_ask_form_sent_again_after_a_lost_answer_stores_one_question(
    live_conference, viewer_factory
):
    registration, client = viewer_factory(live_conference)
    page = client.get(_stream(live_conference)).content.decode()
    token = re.search(r'name="request_token" value="([0-9a-f-]{36})"', page).group(1)
    form = {"text": "Kommer den to ganger?", "request_token": token}

    responses = [client.post(_stream(live_conference) + "ask/", form) for _ in range(2)]

    assert [r.status_code for r in responses] == [302, 302]
    assert Question.objects.filter(registration=registration).count() == 1
    next_page = client.get(_stream(live_conference)).content.decode()
    assert f'value="{token}"' not in next_page  # a new form gets a new token


def test_own_rejected_question_shows_reason(live_conference, viewer_factory):
    registration, client = viewer_factory(live_conference)
    make_question(registration=registration, status="rejected", rejection_reason="Utenfor tema.")

    html = client.get(_stream(live_conference)).content.decode()

    assert "Utenfor tema." in html


def test_own_merged_question_follows_target_answer(live_conference, viewer_factory):
    registration, client = viewer_factory(live_conference)
    target = make_question(conference=live_conference, status="published", text="Målet?")
    services.answer_question(
        conference_id=live_conference.pk,
        question_id=target.pk,
        moderator=None,
        expected_version=1,
        text="Svaret på målet.",
    )
    make_question(registration=registration, status="merged", merged_into=target, text="Mitt?")

    html = client.get(_stream(live_conference)).content.decode()
    own = html.split('id="own-questions"')[1]

    assert "Målet?" in own
    assert "Svaret på målet." in own


def test_vote_with_fetch_returns_json_count(live_conference, viewer_factory):
    _, client = viewer_factory(live_conference)
    question = make_question(conference=live_conference, status="published")
    url = _stream(live_conference) + f"questions/{question.pk}/vote/"

    first = client.post(url, headers={"X-Requested-With": "fetch"})
    second = client.post(url, headers={"X-Requested-With": "fetch"})

    assert first.json()["ok"] is True
    assert first.json()["votes"] == 1
    assert second.status_code == 409
    assert second.json()["ok"] is False


# --- Moderation through the dashboard ---------------------------------------------------------


def test_dashboard_shows_asker_and_approve_publishes(live_conference, moderator_client):
    question = make_question(registration=make_registration(conference=live_conference, **IDENTITY))
    html = moderator_client.get(f"/moderate/{live_conference.slug}/").content.decode()
    assert "Hemmelig Leverandør AS" in html
    assert "Skjult Person" in html

    response = moderator_client.post(
        f"/moderate/{live_conference.slug}/questions/{question.pk}/approve/",
        {"version": 1, "text": ""},
        follow=True,
    )

    question.refresh_from_db()
    assert question.status == "published"
    assert f"#q-{question.pk}" in response.redirect_chain[-1][0]


def test_dashboard_second_moderator_gets_message_and_fresh_state(live_conference, moderator_client):
    question = make_question(conference=live_conference)
    url = f"/moderate/{live_conference.slug}/questions/{question.pk}/"
    moderator_client.post(url + "approve/", {"version": 1})

    response = moderator_client.post(url + "reject/", {"version": 1, "reason": "Nei"}, follow=True)

    html = response.content.decode()
    question.refresh_from_db()
    assert question.status == "published"
    assert 'data-version="2"' in html
    assert "changed this question first" in html or "endret" in html


def test_dashboard_card_renders_one_question(live_conference, moderator_client):
    question = make_question(conference=live_conference, text="Kortet?")

    response = moderator_client.get(
        f"/moderate/{live_conference.slug}/questions/{question.pk}/card/"
    )

    html = response.content.decode()
    assert html.startswith(f'<li class="qa-mod-card card mb-2" id="q-{question.pk}"')
    assert "Kortet?" in html


# --- Anonymity --------------------------------------------------------------------------------


def test_anonymous_asker_never_shown_to_viewers_payloads_csv_or_log(viewer_factory):
    conference = make_conference(status=ConferenceStatus.LIVE)
    asker = make_registration(conference=conference, **IDENTITY)
    shown = make_registration(conference=conference, organisation_name="Synlig AS")
    anonymous_q = services.ask_question(registration_id=asker.pk, text="Anonymt spørsmål?")
    shown_q = services.ask_question(
        registration_id=shown.pk, text="Med firmanavn?", show_company=True
    )
    for q in (anonymous_q, shown_q):
        services.approve_question(
            conference_id=conference.pk, question_id=q.pk, moderator=None, expected_version=1
        )
    services.answer_question(
        conference_id=conference.pk,
        question_id=anonymous_q.pk,
        moderator=None,
        expected_version=2,
        text="Svar.",
    )
    _, viewer = viewer_factory(conference)

    viewer_html = viewer.get(_stream(conference)).content.decode()
    payloads = " ".join(LiveEvent.objects.values_list("frame_data", flat=True))
    conference.status = ConferenceStatus.FOLLOW_UP
    conference.save()
    log_html = Client().get(f"/conferences/{conference.slug}/questions/").content.decode()
    csv_text = Client().get(f"/conferences/{conference.slug}/questions.csv").content.decode()

    for text in (viewer_html, payloads, log_html, csv_text):
        assert "Anonymt spørsmål?" in text or "Anonymt sp\\u00f8rsm\\u00e5l?" in text
        for secret in (*IDENTITY.values(), asker.email):
            assert secret not in text
        assert "Synlig AS" in text


# --- Injection --------------------------------------------------------------------------------


def test_xss_payload_escaped_in_every_context(viewer_factory, moderator_client):
    conference = make_conference(status=ConferenceStatus.LIVE)
    registration, viewer = viewer_factory(conference, organisation_name=XSS)
    question = services.ask_question(registration_id=registration.pk, text=XSS, show_company=True)
    services.approve_question(
        conference_id=conference.pk, question_id=question.pk, moderator=None, expected_version=1
    )
    services.answer_question(
        conference_id=conference.pk,
        question_id=question.pk,
        moderator=None,
        expected_version=2,
        text=XSS,
    )

    pages = [
        viewer.get(_stream(conference)).content.decode(),
        moderator_client.get(f"/moderate/{conference.slug}/").content.decode(),
        moderator_client.get(
            f"/moderate/{conference.slug}/questions/{question.pk}/card/"
        ).content.decode(),
    ]
    conference.status = ConferenceStatus.FOLLOW_UP
    conference.save()
    pages.append(Client().get(f"/conferences/{conference.slug}/questions/").content.decode())

    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    for event in LiveEvent.objects.filter(channel="viewers"):
        assert "\n" not in event.frame_data
        assert json.loads(event.frame_data) == event.payload
    assert LiveEvent.objects.filter(channel="viewers").last().payload["answer"] == XSS


def test_xss_payload_escaped_in_rejection_email(live_conference):
    question = make_question(conference=live_conference, text=XSS)

    services.reject_question(
        conference_id=live_conference.pk,
        question_id=question.pk,
        moderator=None,
        expected_version=1,
        reason=XSS,
    )

    email = OutboundEmail.objects.get(kind="qa_rejected")
    assert "<script>alert" not in email.body_html
    assert "&lt;script&gt;" in email.body_html
    assert XSS in email.body_text  # the text part is plain text, not HTML


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Vanlig tekst", "Vanlig tekst"),
    ],
)
def test_csv_cell_neutralises_formulas(value, expected):
    assert neutralise_cell(value) == expected


def test_public_log_csv_neutralises_formula_question():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    make_question(conference=conference, status="published", text="=1+1")

    response = Client().get(f"/conferences/{conference.slug}/questions.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[1][1] == "'=1+1"


def test_public_log_before_end_lists_nothing():
    conference = make_conference(status=ConferenceStatus.LIVE)
    make_question(conference=conference, status="published", text="Ikke ennå?")

    html = Client().get(f"/conferences/{conference.slug}/questions/").content.decode()

    assert "Ikke ennå?" not in html
    assert Client().get(f"/conferences/{conference.slug}/questions.csv").status_code == 404


def test_public_log_shows_handling_and_hides_rejected_text():
    conference = make_conference(status=ConferenceStatus.CLOSED)
    make_question(conference=conference, status="answered", answered_live=True, text="Live?")
    make_question(
        conference=conference, status="rejected", text="Hemmelig?", rejection_reason="Av tema"
    )

    html = (
        Client(headers={"Accept-Language": "en"})
        .get(f"/conferences/{conference.slug}/questions/")
        .content.decode()
    )

    assert "Live?" in html
    assert "Answered live" in html
    assert "Hemmelig?" not in html
    assert "Av tema" in html


# --- Query counts -----------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["viewer", "dashboard"])
def test_page_query_count_same_for_1_and_200_questions(page, viewer_factory, moderator_client):
    counts = []
    for n in (1, 200):
        conference = make_conference(status=ConferenceStatus.LIVE, agenda_items=3)
        registration, viewer = viewer_factory(conference)
        statuses = ["published", "answered", "awaiting", "rejected"]
        first = make_question(registration=registration, status="published")
        for i in range(n - 1):
            make_question(registration=registration, status=statuses[i % 4], show_company=True)
        make_question(registration=registration, status="merged", merged_into=first)
        make_question(registration=registration, text=first.text)  # awaiting, with a duplicate
        Vote.objects.create(question=first, registration=registration)
        client = viewer if page == "viewer" else moderator_client
        url = _stream(conference) if page == "viewer" else f"/moderate/{conference.slug}/"
        _queries(client, url)  # warm (session, attendance row)
        counts.append(_queries(client, url))

    assert counts[0] == counts[1]
