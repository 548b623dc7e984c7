from __future__ import annotations

import pytest
from django.test import Client

from meetings.choices import AllocationMode, MeetingStatus
from meetings.models import Meeting, Slot
from meetings.services import book_slot
from tests.factories import make_conference, make_meeting_settings, make_staff

pytestmark = pytest.mark.django_db


def _slots(conference) -> list[Slot]:
    return list(Slot.objects.filter(conference=conference).order_by("starts_at", "team__name"))


def _text(response) -> str:
    return response.content.decode()


def test_booking_page_lists_free_slots_in_oslo_time_with_offset(
    meeting_settings, supplier_factory, supplier_client
):
    client = supplier_client(supplier_factory())

    response = client.get("/me/fyrdialog/meeting/")

    text = _text(response)
    assert response.status_code == 200
    assert "Choose a free time" in text
    assert text.count('name="slot"') == 6
    assert "UTC+01:00" in text
    assert "Presentasjon av leverandøren" in text
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert "style=" not in text


def test_booking_page_without_session_is_refused(meeting_settings):
    response = Client().get("/me/fyrdialog/meeting/")

    assert response.status_code == 403
    assert Meeting.objects.count() == 0


def test_book_through_page_creates_meeting_and_shows_link(
    meeting_settings, supplier_factory, supplier_client
):
    supplier = supplier_factory()
    client = supplier_client(supplier)
    slot = _slots(meeting_settings.conference)[0]

    response = client.post("/me/fyrdialog/meeting/book/", {"slot": slot.pk}, follow=True)

    meeting = Meeting.objects.get()
    assert (meeting.registration_id, meeting.slot_id) == (supplier.pk, slot.pk)
    text = _text(response)
    assert "Your meeting is booked" in text
    assert meeting.video_url in text
    assert "Move to another free time" in text


def test_losing_a_race_shows_taken_message_not_error(
    meeting_settings, supplier_factory, supplier_client
):
    slot = _slots(meeting_settings.conference)[0]
    book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    client = supplier_client(supplier_factory())

    response = client.post("/me/fyrdialog/meeting/book/", {"slot": slot.pk}, follow=True)

    assert response.status_code == 200
    assert "That slot was just taken" in _text(response)
    assert Meeting.objects.count() == 1


def test_supplier_a_cannot_book_move_or_cancel_for_b(
    meeting_settings, supplier_factory, supplier_client
):
    a, b = supplier_factory(), supplier_factory()
    first, second, third = _slots(meeting_settings.conference)[:3]
    meeting_a = book_slot(registration_id=a.pk, slot_id=first.pk)
    client_b = supplier_client(b)

    # B's page never shows A's meeting or link.
    page = _text(client_b.get("/me/fyrdialog/meeting/"))
    assert meeting_a.video_url not in page
    # B posts A's slot, A's meeting id as a slot, and a cancel: only B's own state can change.
    taken = client_b.post("/me/fyrdialog/meeting/book/", {"slot": first.pk}, follow=True)
    change = client_b.post("/me/fyrdialog/meeting/change/", {"slot": second.pk}, follow=True)
    cancel = client_b.post("/me/fyrdialog/meeting/cancel/", {"meeting": meeting_a.pk}, follow=True)

    assert "That slot was just taken" in _text(taken)
    assert "You have no meeting to change" in _text(change)
    assert "You have no meeting to cancel" in _text(cancel)
    meeting_a.refresh_from_db()
    assert (meeting_a.status, meeting_a.slot_id, meeting_a.sequence) == (
        MeetingStatus.BOOKED,
        first.pk,
        0,
    )
    assert not Meeting.objects.filter(registration=b).exists()
    # A's session only opens A's page for this conference; another conference is refused.
    other = make_conference(offers_one_to_one=True, slug="annen")
    make_meeting_settings(conference=other)
    assert client_b.get("/me/annen/meeting/").status_code == 403
    assert third.pk  # unused slot stays free
    assert not Meeting.objects.filter(slot=third).exists()


def test_change_and_cancel_through_page(meeting_settings, supplier_factory, supplier_client):
    supplier = supplier_factory()
    client = supplier_client(supplier)
    first, second = _slots(meeting_settings.conference)[:2]
    client.post("/me/fyrdialog/meeting/book/", {"slot": first.pk})

    client.post("/me/fyrdialog/meeting/change/", {"slot": second.pk})
    meeting = Meeting.objects.get()
    assert (meeting.slot_id, meeting.sequence) == (second.pk, 1)
    response = client.post("/me/fyrdialog/meeting/cancel/", follow=True)

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert "Your meeting is cancelled" in _text(response)


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


def test_staff_allocated_conference_shows_no_slot_buttons(
    meeting_settings, supplier_factory, supplier_client
):
    meeting_settings.allocation_mode = AllocationMode.STAFF
    meeting_settings.save()

    text = _text(supplier_client(supplier_factory()).get("/me/fyrdialog/meeting/"))

    assert "The buyer allocates the meeting times" in text
    assert 'name="slot"' not in text


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
