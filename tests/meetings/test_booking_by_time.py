"""Suppliers book and move by time; the service assigns the team. Plus the one meeting status
(``meeting_status_for``) and asking for a meeting after registering."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from conferences.choices import ConferenceStatus
from dialogkonferanse.models import OutboundEmail
from meetings.choices import (
    AllocationMode,
    EventKind,
    MeetingStatus,
    SupplierMeetingState,
    WaitingStatus,
)
from meetings.exceptions import MeetingError, SlotTakenError
from meetings.models import Meeting, MeetingEvent, Slot, WaitingListEntry
from meetings.selectors import free_times, meeting_status_for
from meetings.services import (
    book_slot,
    book_time,
    cancel_meeting,
    change_meeting_time,
    join_waiting_list,
    request_meeting,
)
from registrations.models import Registration

pytestmark = pytest.mark.django_db


def _slots(conference) -> list[Slot]:
    return list(Slot.objects.filter(conference=conference).order_by("starts_at", "team__name"))


def _status(registration):
    return meeting_status_for(
        Registration.objects.select_related("conference").get(pk=registration.pk)
    )


# --- book_time / change_meeting_time ----------------------------------------------------------


def test_book_time_assigns_the_first_free_team_then_the_next(meeting_settings, supplier_factory):
    first_a, first_b = _slots(meeting_settings.conference)[:2]

    one = book_time(registration_id=supplier_factory().pk, starts_at=first_a.starts_at)
    two = book_time(registration_id=supplier_factory().pk, starts_at=first_a.starts_at)

    assert (one.slot_id, two.slot_id) == (first_a.pk, first_b.pk)
    assert MeetingEvent.objects.filter(kind=EventKind.BOOKED).count() == 2


def test_book_time_when_every_team_is_taken_says_the_time_is_taken(
    meeting_settings, supplier_factory
):
    first_a, first_b = _slots(meeting_settings.conference)[:2]
    for slot in (first_a, first_b):
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    late = supplier_factory()

    with pytest.raises(SlotTakenError, match="That time was just taken"):
        book_time(registration_id=late.pk, starts_at=first_a.starts_at)

    assert not Meeting.objects.filter(registration=late).exists()
    assert OutboundEmail.objects.filter(registration=late).count() == 0


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        (dt.timedelta(minutes=1), "not one of the meeting times"),
        (-dt.timedelta(days=30), "already begun"),
    ],
)
def test_book_time_refuses_a_time_not_offered(meeting_settings, supplier_factory, shift, message):
    first = _slots(meeting_settings.conference)[0]
    starts_at = (timezone.now() + shift) if shift < dt.timedelta(0) else first.starts_at + shift

    with pytest.raises(MeetingError, match=message):
        book_time(registration_id=supplier_factory().pk, starts_at=starts_at)

    assert Meeting.objects.count() == 0


def test_book_time_passes_over_a_slot_held_for_someone_else(meeting_settings, supplier_factory):
    first_a, first_b = _slots(meeting_settings.conference)[:2]
    holder = supplier_factory()
    entry = join_waiting_list(registration_id=holder.pk)
    WaitingListEntry.objects.filter(pk=entry.pk).update(
        status=WaitingStatus.OFFERED,
        offered_slot=first_a,
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + dt.timedelta(hours=2),
    )

    other = book_time(registration_id=supplier_factory().pk, starts_at=first_a.starts_at)
    accepted = book_time(registration_id=holder.pk, starts_at=first_a.starts_at)

    assert (other.slot_id, accepted.slot_id) == (first_b.pk, first_a.pk)
    assert MeetingEvent.objects.filter(kind=EventKind.OFFER_ACCEPTED).get().registration_id == (
        holder.pk
    )


def test_book_time_with_staff_allocation_only_accepts_the_offered_time(
    meeting_settings, supplier_factory
):
    meeting_settings.allocation_mode = AllocationMode.STAFF
    meeting_settings.save()
    first = _slots(meeting_settings.conference)[0]

    with pytest.raises(MeetingError, match="The buyer allocates"):
        book_time(registration_id=supplier_factory().pk, starts_at=first.starts_at)

    assert Meeting.objects.count() == 0


def test_change_meeting_time_moves_to_a_free_team_and_keeps_uid(meeting_settings, supplier_factory):
    slots = _slots(meeting_settings.conference)
    supplier = supplier_factory()
    meeting = book_time(registration_id=supplier.pk, starts_at=slots[0].starts_at)
    book_slot(registration_id=supplier_factory().pk, slot_id=slots[2].pk)  # second time, Team A

    moved = change_meeting_time(registration_id=supplier.pk, starts_at=slots[2].starts_at)

    assert (moved.pk, moved.uid, moved.sequence) == (meeting.pk, meeting.uid, 1)
    assert moved.slot_id == slots[3].pk  # second time, Team B: the free one
    assert list(
        OutboundEmail.objects.filter(registration=supplier)
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == ["meeting_invite", "meeting_update"]


def test_change_meeting_time_to_its_own_time_is_refused(meeting_settings, supplier_factory):
    first_a = _slots(meeting_settings.conference)[0]
    supplier = supplier_factory()
    book_time(registration_id=supplier.pk, starts_at=first_a.starts_at)

    with pytest.raises(MeetingError, match="already at that time"):
        change_meeting_time(registration_id=supplier.pk, starts_at=first_a.starts_at)

    meeting = Meeting.objects.get(registration=supplier)
    assert (meeting.slot_id, meeting.sequence) == (first_a.pk, 0)


def test_free_times_list_each_time_once_and_leave_out_the_current_one(
    meeting_settings, supplier_factory
):
    slots = _slots(meeting_settings.conference)
    starts = sorted({s.starts_at for s in slots})

    days = free_times(conference_id=meeting_settings.conference_id)
    without_first = free_times(conference_id=meeting_settings.conference_id, exclude=starts[0])

    assert [t.starts_at for day in days for t in day.times] == starts
    assert len(days) == 1
    assert days[0].date == timezone.localtime(starts[0]).date()
    assert [t.starts_at for day in without_first for t in day.times] == starts[1:]


@pytest.mark.parametrize("slot_count", [1, 40])
def test_free_times_is_one_query_whatever_the_number_of_slots(
    meeting_settings, supplier_factory, django_assert_num_queries, slot_count
):
    conference = meeting_settings.conference
    Slot.objects.filter(conference=conference).delete()
    team = meeting_settings.teams.first()
    start = timezone.now() + dt.timedelta(days=4)
    Slot.objects.bulk_create(
        Slot(
            conference=conference,
            team=team,
            starts_at=start + dt.timedelta(hours=i),
            ends_at=start + dt.timedelta(hours=i, minutes=30),
        )
        for i in range(slot_count)
    )

    with django_assert_num_queries(1):
        days = free_times(conference_id=conference.pk)

    assert sum(len(day.times) for day in days) == slot_count


@pytest.mark.parametrize("slot_count", [1, 40])
def test_booking_page_queries_do_not_grow_with_slots(
    meeting_settings, supplier_factory, supplier_client, django_assert_num_queries, slot_count
):
    conference = meeting_settings.conference
    Slot.objects.filter(conference=conference).delete()
    team = meeting_settings.teams.first()
    start = timezone.now() + dt.timedelta(days=4)
    Slot.objects.bulk_create(
        Slot(
            conference=conference,
            team=team,
            starts_at=start + dt.timedelta(hours=i),
            ends_at=start + dt.timedelta(hours=i, minutes=30),
        )
        for i in range(slot_count)
    )
    client = supplier_client(supplier_factory())
    client.get("/me/fyrdialog/meeting/")  # warm the session

    # Session, registration (with conference and buyer), setup, meetings, waiting list,
    # setup again for the page, the free times.
    with django_assert_num_queries(7):
        response = client.get("/me/fyrdialog/meeting/")

    assert response.content.decode().count('name="time" value="') == slot_count


# --- meeting_status_for -----------------------------------------------------------------------


def test_status_not_offered(conference, supplier_factory):
    conference.offers_one_to_one = False
    conference.save()

    status = _status(supplier_factory())

    assert (status.state, status.shown) == (SupplierMeetingState.NOT_OFFERED, False)


def test_status_not_requested_may_still_ask(meeting_settings, supplier_factory):
    status = _status(supplier_factory(wants_one_to_one=False))

    assert (status.state, status.can_request, status.can_book) == (
        SupplierMeetingState.NOT_REQUESTED,
        True,
        False,
    )


def test_status_not_published(conference, supplier_factory):
    status = _status(supplier_factory())

    assert (status.state, status.can_book) == (SupplierMeetingState.NOT_PUBLISHED, False)


def test_status_awaiting_allocation(meeting_settings, supplier_factory):
    meeting_settings.allocation_mode = AllocationMode.STAFF
    meeting_settings.save()

    status = _status(supplier_factory())

    assert (status.state, status.can_book) == (SupplierMeetingState.AWAITING_ALLOCATION, False)


def test_status_booking_open(meeting_settings, supplier_factory):
    status = _status(supplier_factory())

    assert (status.state, status.can_book, status.self_service) == (
        SupplierMeetingState.BOOKING_OPEN,
        True,
        True,
    )


def test_status_waiting_list(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    join_waiting_list(registration_id=supplier.pk)

    status = _status(supplier)

    assert (status.state, status.waiting.registration_id) == (
        SupplierMeetingState.WAITING_LIST,
        supplier.pk,
    )


def test_status_offered(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    entry = join_waiting_list(registration_id=supplier.pk)
    slot = _slots(meeting_settings.conference)[0]
    WaitingListEntry.objects.filter(pk=entry.pk).update(
        status=WaitingStatus.OFFERED,
        offered_slot=slot,
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + dt.timedelta(hours=2),
    )

    status = _status(supplier)

    assert (status.state, status.can_book, status.offer.offered_slot_id) == (
        SupplierMeetingState.OFFERED,
        True,
        slot.pk,
    )


def test_status_booked_with_time_and_link(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    meeting = book_time(
        registration_id=supplier.pk, starts_at=_slots(meeting_settings.conference)[0].starts_at
    )

    status = _status(supplier)

    assert (status.state, status.meeting.pk, status.can_change) == (
        SupplierMeetingState.BOOKED,
        meeting.pk,
        True,
    )
    assert status.meeting.video_url == meeting.video_url


def test_status_booked_after_the_deadline_cannot_change(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    book_time(
        registration_id=supplier.pk, starts_at=_slots(meeting_settings.conference)[0].starts_at
    )
    meeting_settings.booking_deadline = timezone.now() - dt.timedelta(minutes=1)
    meeting_settings.save()

    status = _status(supplier)

    assert (status.state, status.can_change) == (SupplierMeetingState.BOOKED, False)


def test_status_held(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    meeting = book_time(
        registration_id=supplier.pk, starts_at=_slots(meeting_settings.conference)[0].starts_at
    )
    Slot.objects.filter(pk=meeting.slot_id).update(
        starts_at=timezone.now() - dt.timedelta(hours=2),
        ends_at=timezone.now() - dt.timedelta(hours=1, minutes=30),
    )

    status = _status(supplier)

    assert (status.state, status.can_change) == (SupplierMeetingState.HELD, False)


def test_status_cancelled_may_book_again(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    meeting = book_time(
        registration_id=supplier.pk, starts_at=_slots(meeting_settings.conference)[0].starts_at
    )
    cancel_meeting(registration_id=supplier.pk)

    status = _status(supplier)

    assert (status.state, status.meeting.pk, status.can_book) == (
        SupplierMeetingState.CANCELLED,
        meeting.pk,
        True,
    )


def test_status_booking_closed(meeting_settings, supplier_factory):
    meeting_settings.booking_deadline = timezone.now() - dt.timedelta(minutes=1)
    meeting_settings.save()

    status = _status(supplier_factory())

    assert (status.state, status.can_book, status.can_request) == (
        SupplierMeetingState.BOOKING_CLOSED,
        False,
        False,
    )


def test_personal_status_box_and_registration_email_never_promise_an_email_in_self_service(
    meeting_settings, supplier_factory
):
    supplier = supplier_factory()

    box = render_to_string("meetings/_personal_status.html", {"registration": supplier})
    email = render_to_string(
        "emails/registration_confirmation/body.txt",
        {"registration": supplier, "conference": supplier.conference, "one_to_one_offered": True},
    )

    assert "Requested. Choose your time on your meeting page before" in box
    assert "Book your meeting" in box
    assert "Requested. Choose your time on your meeting page before" in email
    for text in (box, email):
        assert "You will get an email with the time" not in text


# --- request_meeting --------------------------------------------------------------------------


def test_request_meeting_records_the_wish_logs_and_emails(meeting_settings, supplier_factory):
    supplier = supplier_factory(wants_one_to_one=False)

    request_meeting(registration_id=supplier.pk, topics="  Sensorer langs kysten  ")

    supplier.refresh_from_db()
    assert (supplier.wants_one_to_one, supplier.one_to_one_topics) == (
        True,
        "Sensorer langs kysten",
    )
    assert MeetingEvent.objects.filter(kind=EventKind.REQUESTED, registration=supplier).count() == 1
    email = OutboundEmail.objects.get(registration=supplier, kind="meeting_request")
    assert "Requested. Choose your time on your meeting page before" in email.body_text
    assert _status(supplier).state == SupplierMeetingState.BOOKING_OPEN


def test_request_meeting_with_every_time_taken_joins_the_waiting_list(
    meeting_settings, supplier_factory
):
    for slot in _slots(meeting_settings.conference):
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    supplier = supplier_factory(wants_one_to_one=False)

    request_meeting(registration_id=supplier.pk, topics="Dekning")

    entry = WaitingListEntry.objects.get(registration=supplier)
    assert entry.status == WaitingStatus.WAITING
    email = OutboundEmail.objects.get(registration=supplier, kind="meeting_request")
    assert "You are on the waiting list" in email.body_text


def test_request_meeting_with_staff_allocation_waits_for_it(meeting_settings, supplier_factory):
    meeting_settings.allocation_mode = AllocationMode.STAFF
    meeting_settings.save()
    supplier = supplier_factory(wants_one_to_one=False)

    request_meeting(registration_id=supplier.pk, topics="Dekning")

    email = OutboundEmail.objects.get(registration=supplier, kind="meeting_request")
    assert "you will get an email with your time" in email.body_text
    assert _status(supplier).state == SupplierMeetingState.AWAITING_ALLOCATION


@pytest.mark.parametrize(
    ("change", "topics", "message"),
    [
        ("deadline", "Dekning", "booking deadline has passed"),
        ("closed", "Dekning", "dialogue is closed"),
        ("already", "Dekning", "already asked"),
        ("", "   ", "which topics"),
    ],
)
def test_request_meeting_follows_the_rules(
    meeting_settings, supplier_factory, change, topics, message
):
    supplier = supplier_factory(wants_one_to_one=change == "already")
    if change == "deadline":
        meeting_settings.booking_deadline = timezone.now() - dt.timedelta(minutes=1)
        meeting_settings.save()
    if change == "closed":
        type(meeting_settings.conference).objects.filter(pk=meeting_settings.conference_id).update(
            status=ConferenceStatus.CLOSED
        )

    with pytest.raises(MeetingError, match=message):
        request_meeting(registration_id=supplier.pk, topics=topics)

    supplier.refresh_from_db()
    assert supplier.wants_one_to_one is (change == "already")
    assert not MeetingEvent.objects.filter(kind=EventKind.REQUESTED).exists()
    assert not OutboundEmail.objects.filter(kind="meeting_request").exists()


def test_request_page_asks_for_topics_then_confirms(
    meeting_settings, supplier_factory, supplier_client
):
    supplier = supplier_factory(wants_one_to_one=False)
    client = supplier_client(supplier)

    meeting_page = client.get("/me/fyrdialog/meeting/").content.decode()
    form = client.get("/me/fyrdialog/meeting/request/")
    empty = client.post("/me/fyrdialog/meeting/request/", {"topics": ""})
    done = client.post("/me/fyrdialog/meeting/request/", {"topics": "Dekning"}, follow=True)

    assert 'href="/me/fyrdialog/meeting/request/"' in meeting_page
    assert "Ask for a one-to-one meeting" in form.content.decode()
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()
    assert "We have your request for a one-to-one meeting." in done.content.decode()
    assert "Choose a free time" in done.content.decode()
    supplier.refresh_from_db()
    assert supplier.wants_one_to_one is True
    assert MeetingStatus.BOOKED not in Meeting.objects.values_list("status", flat=True)
