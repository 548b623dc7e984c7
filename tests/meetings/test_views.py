from __future__ import annotations

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from dialogkonferanse.models import OutboundEmail
from meetings.choices import AllocationMode, MeetingStatus
from meetings.models import Meeting, Slot
from meetings.services import book_slot
from tests.factories import make_conference, make_meeting_settings, make_staff

pytestmark = pytest.mark.django_db


def _slots(conference) -> list[Slot]:
    return list(Slot.objects.filter(conference=conference).order_by("starts_at", "team__name"))


def _text(response) -> str:
    return response.content.decode()


def _key(slot) -> int:
    return int(slot.starts_at.timestamp())


def test_booking_page_lists_each_free_time_once_under_its_weekday(
    meeting_settings, supplier_factory, supplier_client
):
    client = supplier_client(supplier_factory())
    first = _slots(meeting_settings.conference)[0]

    response = client.get("/me/fyrdialog/meeting/")

    text = _text(response)
    assert response.status_code == 200
    assert "Choose a free time" in text
    # Two teams, three times: each time once, as a GET choice (nothing is booked by it).
    assert text.count('name="time" value="') == 3
    assert f'name="time" value="{_key(first)}"' in text
    assert 'name="slot"' not in text
    assert "Team A" not in text
    assert "Team B" not in text
    weekday = timezone.localtime(first.starts_at).strftime("%A")
    assert '<h3 class="h6 mt-3" id="day-1"><time datetime="' in text
    assert weekday in text
    assert '<form method="get" action="/me/fyrdialog/meeting/book/">' in text
    assert "Presentasjon av leverandøren" in text
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert "style=" not in text
    assert Meeting.objects.count() == 0


def test_booking_page_in_norwegian_heads_each_day_with_its_weekday(
    meeting_settings, supplier_factory, supplier_client
):
    client = supplier_client(supplier_factory(language="nb"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nb"
    first = _slots(meeting_settings.conference)[0]
    local = timezone.localtime(first.starts_at)
    with translation.override("nb"):
        expected = date_format(local, "l j. F")

    text = _text(client.get("/me/fyrdialog/meeting/"))

    assert expected in text
    assert expected.split()[0] in {
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"
    }  # fmt: skip


def test_choosing_a_time_shows_a_confirmation_and_writes_nothing(
    meeting_settings, supplier_factory, supplier_client
):
    client = supplier_client(supplier_factory())
    first = _slots(meeting_settings.conference)[0]

    response = client.get("/me/fyrdialog/meeting/book/", {"time": _key(first)})

    text = _text(response)
    assert response.status_code == 200
    assert "Confirm your meeting time" in text
    assert "Confirm booking" in text
    assert "Choose another time" in text
    assert f'name="time" value="{_key(first)}"' in text
    assert 'method="post" action="/me/fyrdialog/meeting/book/"' in text
    assert "Team A" not in text
    assert Meeting.objects.count() == 0
    assert OutboundEmail.objects.filter(kind="meeting_invite").count() == 0


def test_confirming_books_the_time_with_a_team_chosen_by_the_service(
    meeting_settings, supplier_factory, supplier_client
):
    supplier = supplier_factory()
    client = supplier_client(supplier)
    first = _slots(meeting_settings.conference)[0]

    response = client.post("/me/fyrdialog/meeting/book/", {"time": _key(first)}, follow=True)

    meeting = Meeting.objects.get()
    assert (meeting.registration_id, meeting.slot_id) == (supplier.pk, first.pk)  # Team A
    text = _text(response)
    assert "Your meeting is booked for " in text
    assert meeting.video_url in text
    assert "Move to another free time" in text
    # Moving lists only the other times: two, not the one booked (nor its other team).
    assert text.count('name="time" value="') == 2
    assert f'name="time" value="{_key(first)}"' not in text
    assert "Team A" not in text


def test_second_supplier_at_the_same_time_gets_the_other_team(
    meeting_settings, supplier_factory, supplier_client
):
    first_a, first_b = _slots(meeting_settings.conference)[:2]
    book_slot(registration_id=supplier_factory().pk, slot_id=first_a.pk)
    client = supplier_client(supplier_factory())

    page = _text(client.get("/me/fyrdialog/meeting/"))
    client.post("/me/fyrdialog/meeting/book/", {"time": _key(first_a)})

    assert f'name="time" value="{_key(first_a)}"' in page
    assert set(Meeting.objects.values_list("slot_id", flat=True)) == {first_a.pk, first_b.pk}


def test_losing_a_race_between_choice_and_confirm_shows_taken_message(
    meeting_settings, supplier_factory, supplier_client
):
    first_a, first_b = _slots(meeting_settings.conference)[:2]
    client = supplier_client(supplier_factory())
    confirm = client.get("/me/fyrdialog/meeting/book/", {"time": _key(first_a)})
    for slot in (first_a, first_b):  # both teams go while the supplier reads the confirmation
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)

    response = client.post("/me/fyrdialog/meeting/book/", {"time": _key(first_a)}, follow=True)

    assert "Confirm booking" in _text(confirm)
    assert response.status_code == 200
    assert response.redirect_chain == [("/me/fyrdialog/meeting/#slots-heading", 302)]
    assert "That time was just taken. Please choose another." in _text(response)
    assert "Choose a free time" in _text(response)
    assert Meeting.objects.count() == 2


def test_confirmation_of_a_time_already_taken_goes_back_to_the_picker(
    meeting_settings, supplier_factory, supplier_client
):
    first_a, first_b = _slots(meeting_settings.conference)[:2]
    for slot in (first_a, first_b):
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    client = supplier_client(supplier_factory())

    response = client.get("/me/fyrdialog/meeting/book/", {"time": _key(first_a)}, follow=True)

    assert "That time was just taken. Please choose another." in _text(response)
    assert "Confirm booking" not in _text(response)


@pytest.mark.parametrize("value", ["", "abc", "-5", "99999999999999"])
def test_book_with_a_bad_time_is_a_message_not_an_error(
    meeting_settings, supplier_factory, supplier_client, value
):
    client = supplier_client(supplier_factory())

    shown = client.get("/me/fyrdialog/meeting/book/", {"time": value}, follow=True)
    posted = client.post("/me/fyrdialog/meeting/book/", {"time": value}, follow=True)

    assert (shown.status_code, posted.status_code) == (200, 200)
    assert "Choose a time." in _text(shown)
    assert "Choose a time." in _text(posted)
    assert Meeting.objects.count() == 0


def test_book_a_time_that_is_not_offered_is_refused(
    meeting_settings, supplier_factory, supplier_client
):
    client = supplier_client(supplier_factory())
    off_grid = _key(_slots(meeting_settings.conference)[0]) + 60

    response = client.post("/me/fyrdialog/meeting/book/", {"time": off_grid}, follow=True)

    assert "That time is not one of the meeting times" in _text(response)
    assert Meeting.objects.count() == 0


def test_supplier_a_cannot_book_move_or_cancel_for_b(
    meeting_settings, supplier_factory, supplier_client
):
    a, b = supplier_factory(), supplier_factory()
    first_a, first_b, second = _slots(meeting_settings.conference)[:3]
    meeting_a = book_slot(registration_id=a.pk, slot_id=first_a.pk)
    book_slot(registration_id=supplier_factory().pk, slot_id=first_b.pk)
    client_b = supplier_client(b)

    # B's page never shows A's meeting or link.
    page = _text(client_b.get("/me/fyrdialog/meeting/"))
    assert meeting_a.video_url not in page
    # B posts A's time, a move and a cancel with A's meeting id: only B's own state can change.
    taken = client_b.post("/me/fyrdialog/meeting/book/", {"time": _key(first_a)}, follow=True)
    change = client_b.post("/me/fyrdialog/meeting/change/", {"time": _key(second)}, follow=True)
    cancel = client_b.post("/me/fyrdialog/meeting/cancel/", {"meeting": meeting_a.pk}, follow=True)

    assert "That time was just taken" in _text(taken)
    assert "You have no meeting to change" in _text(change)
    assert "You have no meeting to cancel" in _text(cancel)
    meeting_a.refresh_from_db()
    assert (meeting_a.status, meeting_a.slot_id, meeting_a.sequence) == (
        MeetingStatus.BOOKED,
        first_a.pk,
        0,
    )
    assert not Meeting.objects.filter(registration=b).exists()
    # A's session only opens A's page for this conference; another conference is refused.
    other = make_conference(offers_one_to_one=True, slug="annen")
    make_meeting_settings(conference=other)
    assert client_b.get("/me/annen/meeting/").status_code == 403


def test_move_needs_a_confirmation_then_moves(meeting_settings, supplier_factory, supplier_client):
    supplier = supplier_factory()
    client = supplier_client(supplier)
    slots = _slots(meeting_settings.conference)
    client.post("/me/fyrdialog/meeting/book/", {"time": _key(slots[0])})
    later = slots[2]  # the second time, Team A

    confirm = client.get("/me/fyrdialog/meeting/change/", {"time": _key(later)})
    unchanged = Meeting.objects.get()
    response = client.post("/me/fyrdialog/meeting/change/", {"time": _key(later)}, follow=True)

    text = _text(confirm)
    assert "Confirm the new time" in text
    assert "Current time" in text
    assert "Confirm move" in text
    assert "Choose another time" in text
    assert (unchanged.slot_id, unchanged.sequence) == (slots[0].pk, 0)
    meeting = Meeting.objects.get()
    assert (meeting.slot_id, meeting.sequence) == (later.pk, 1)
    assert "Your meeting is moved to " in _text(response)


def test_move_to_the_same_time_is_refused(meeting_settings, supplier_factory, supplier_client):
    client = supplier_client(supplier_factory())
    first = _slots(meeting_settings.conference)[0]
    client.post("/me/fyrdialog/meeting/book/", {"time": _key(first)})

    shown = client.get("/me/fyrdialog/meeting/change/", {"time": _key(first)}, follow=True)
    posted = client.post("/me/fyrdialog/meeting/change/", {"time": _key(first)}, follow=True)

    assert "Your meeting is already at that time." in _text(shown)
    assert "Your meeting is already at that time." in _text(posted)
    assert Meeting.objects.get().sequence == 0


def test_cancel_asks_are_you_sure_then_cancels(meeting_settings, supplier_factory, supplier_client):
    client = supplier_client(supplier_factory())
    first = _slots(meeting_settings.conference)[0]
    client.post("/me/fyrdialog/meeting/book/", {"time": _key(first)})
    page = _text(client.get("/me/fyrdialog/meeting/"))

    confirm = client.get("/me/fyrdialog/meeting/cancel/")
    still = Meeting.objects.get()
    response = client.post("/me/fyrdialog/meeting/cancel/", follow=True)

    assert '<a class="btn btn-outline-danger" href="/me/fyrdialog/meeting/cancel/">' in page
    assert "Cancel your meeting?" in _text(confirm)
    assert "Yes, cancel the meeting" in _text(confirm)
    assert "No, keep my meeting" in _text(confirm)
    assert still.status == MeetingStatus.BOOKED
    meeting = Meeting.objects.get()
    assert meeting.status == MeetingStatus.CANCELLED
    assert "Your meeting is cancelled." in _text(response)
    # The page now says so, and offers the times again.
    assert "was cancelled" in _text(response)
    assert "Choose a free time" in _text(response)


def test_calendar_download_of_own_meeting(meeting_settings, supplier_factory, supplier_client):
    supplier = supplier_factory()
    meeting = book_slot(
        registration_id=supplier.pk, slot_id=_slots(meeting_settings.conference)[0].pk
    )

    response = supplier_client(supplier).get("/me/fyrdialog/meeting/calendar.ics")

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f"UID:meeting-{meeting.uid}@dialogkonferanse" in response.content.decode()


def test_full_slots_offer_the_waiting_list(meeting_settings, supplier_factory, supplier_client):
    for slot in _slots(meeting_settings.conference):
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    latecomer = supplier_factory()
    client = supplier_client(latecomer)

    page = _text(client.get("/me/fyrdialog/meeting/"))
    response = client.post("/me/fyrdialog/meeting/waiting-list/", follow=True)

    assert "All times are taken" in page
    assert "You are on the waiting list" in _text(response)


def test_staff_allocated_conference_shows_no_time_buttons(
    meeting_settings, supplier_factory, supplier_client
):
    meeting_settings.allocation_mode = AllocationMode.STAFF
    meeting_settings.save()
    client = supplier_client(supplier_factory())

    text = _text(client.get("/me/fyrdialog/meeting/"))
    first = _slots(meeting_settings.conference)[0]
    posted = client.post("/me/fyrdialog/meeting/book/", {"time": _key(first)}, follow=True)

    assert "The buyer allocates the times: you will get an email" in text
    assert 'name="time"' not in text
    assert "The buyer allocates the meeting times" in _text(posted)
    assert Meeting.objects.count() == 0


def test_personal_status_include_links_to_booking(meeting_settings, supplier_factory, rf):
    from django.template.loader import render_to_string

    supplier = supplier_factory()

    html = render_to_string("meetings/_personal_status.html", {"registration": supplier})

    assert "/me/fyrdialog/meeting/" in html
    assert "Book your meeting" in html


def test_staff_overview_lists_meetings_per_day_and_team(meeting_settings, supplier_factory, client):
    supplier = supplier_factory(organisation_name="Fjordsensor AS")
    book_slot(registration_id=supplier.pk, slot_id=_slots(meeting_settings.conference)[0].pk)
    client.force_login(make_staff())

    response = client.get("/staff/meetings/fyrdialog/", HTTP_ACCEPT_LANGUAGE="en")

    text = _text(response)
    assert response.status_code == 200
    assert "Fjordsensor AS" in text
    assert "Team A" in text
    assert "Team B" in text
    assert text.count(">Free<") == 5
    assert "meetings/overview" in text
    assert "style=" not in text
    assert "<script>" not in text


def test_staff_overview_refuses_suppliers_and_anonymous(meeting_settings, client):
    response = client.get("/staff/meetings/fyrdialog/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_supplier_who_did_not_opt_in_is_told_how_to_ask(
    meeting_settings, supplier_factory, supplier_client
):
    client = supplier_client(supplier_factory(wants_one_to_one=False))

    text = _text(client.get("/me/fyrdialog/meeting/"))

    assert "You did not ask for a one-to-one meeting" in text
    assert 'name="slot"' not in text
