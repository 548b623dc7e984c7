from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from conferences.choices import ConferenceStatus
from dialogkonferanse.models import OutboundEmail
from meetings.choices import (
    AllocationMode,
    EmailKind,
    EventKind,
    MeetingStatus,
    VideoProvider,
    WaitingStatus,
)
from meetings.exceptions import MeetingError, SlotTakenError
from meetings.models import Meeting, MeetingEvent, Slot, WaitingListEntry
from meetings.services import (
    book_slot,
    cancel_meeting,
    cancel_meeting_by_staff,
    change_meeting,
    expire_offers,
    join_waiting_list,
    move_meeting,
    release_meeting_for_registration,
    swap_meetings,
)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def _slots(conference) -> list[Slot]:
    return list(Slot.objects.filter(conference=conference).order_by("starts_at", "team__name"))


def _kinds(registration) -> list[str]:
    return list(
        OutboundEmail.objects.filter(registration=registration)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_book_slot_creates_meeting_log_entry_and_invitation(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    slot = _slots(meeting_settings.conference)[0]

    meeting = book_slot(registration_id=supplier.pk, slot_id=slot.pk)

    meeting.refresh_from_db()
    assert (meeting.slot_id, meeting.registration_id, meeting.status) == (
        slot.pk,
        supplier.pk,
        MeetingStatus.BOOKED,
    )
    assert (meeting.sequence, meeting.notified_sequence) == (0, 0)
    assert meeting.video_url.startswith("https://meet.jit.si/Dialog-")
    assert len(meeting.video_url.rsplit("-", 1)[1]) == 32  # 128 random bits
    assert list(MeetingEvent.objects.filter(meeting=meeting).values_list("kind", flat=True)) == [
        EventKind.BOOKED
    ]
    [email] = OutboundEmail.objects.filter(registration=supplier)
    assert email.kind == EmailKind.INVITE
    assert meeting.video_url in email.body_text
    assert "1. Presentasjon av leverandøren" in email.body_text
    assert [(a.filename, a.mimetype) for a in email.attachments.all()] == [
        ("meeting.ics", "text/calendar; method=REQUEST")
    ]


def test_book_slot_taken_raises_slot_taken(meeting_settings, supplier_factory):
    first, second = supplier_factory(), supplier_factory()
    slot = _slots(meeting_settings.conference)[0]
    book_slot(registration_id=first.pk, slot_id=slot.pk)

    with pytest.raises(SlotTakenError, match="That slot was just taken"):
        book_slot(registration_id=second.pk, slot_id=slot.pk)

    assert Meeting.objects.filter(slot=slot).count() == 1
    assert _kinds(second) == []


def test_book_slot_second_meeting_for_same_supplier_refused(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    first, second = _slots(meeting_settings.conference)[:2]
    book_slot(registration_id=supplier.pk, slot_id=first.pk)

    with pytest.raises(MeetingError, match="already have a meeting"):
        book_slot(registration_id=supplier.pk, slot_id=second.pk)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deadline_passed": True}, "deadline has passed"),
        ({"staff_mode": True}, "allocates the meeting times"),
        ({"closed": True}, "dialogue is closed"),
        ({"not_opted_in": True}, "did not ask for a one-to-one"),
        ({"cancelled": True}, "registration is cancelled"),
    ],
)
def test_book_slot_refused_when_rules_forbid(meeting_settings, supplier_factory, change, message):
    supplier = supplier_factory(wants_one_to_one=not change.get("not_opted_in"))
    conference = meeting_settings.conference
    if change.get("deadline_passed"):
        meeting_settings.booking_deadline = timezone.now() - dt.timedelta(minutes=1)
    if change.get("staff_mode"):
        meeting_settings.allocation_mode = AllocationMode.STAFF
    meeting_settings.save()
    if change.get("closed"):
        conference.status = ConferenceStatus.CLOSED
        conference.save()
    if change.get("cancelled"):
        supplier.cancelled_at = timezone.now()
        supplier.save()

    with pytest.raises(MeetingError, match=message):
        book_slot(registration_id=supplier.pk, slot_id=_slots(conference)[0].pk)

    assert Meeting.objects.count() == 0


def test_book_slot_of_another_conference_is_unknown(meeting_settings, supplier_factory):
    from tests.factories import make_conference, make_meeting_settings

    other = make_conference(offers_one_to_one=True)
    make_meeting_settings(conference=other)
    from meetings.services import generate_slots

    generate_slots(conference_id=other.pk)
    foreign = Slot.objects.filter(conference=other).first()

    with pytest.raises(MeetingError, match="does not exist"):
        book_slot(registration_id=supplier_factory().pk, slot_id=foreign.pk)


def test_book_slot_rolled_back_sends_no_email(meeting_settings, supplier_factory):
    supplier = supplier_factory()

    slot = _slots(meeting_settings.conference)[0]

    def book_then_fail() -> None:
        with transaction.atomic():
            book_slot(registration_id=supplier.pk, slot_id=slot.pk)
            raise RuntimeError("the caller failed after booking")

    with pytest.raises(RuntimeError):
        book_then_fail()

    assert Meeting.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_pasted_link_provider_uses_slot_link_before_team_link(meeting_settings, supplier_factory):
    meeting_settings.video_provider = VideoProvider.LINK
    meeting_settings.save()
    first, second = _slots(meeting_settings.conference)[:2]
    first.team.video_url = "https://teams.microsoft.com/l/meetup-join/team-a"
    first.team.save()
    second.video_url = "https://whereby.com/etat-team-b"
    second.save()

    m1 = book_slot(registration_id=supplier_factory().pk, slot_id=first.pk)
    m2 = book_slot(registration_id=supplier_factory().pk, slot_id=second.pk)

    assert m1.video_url == "https://teams.microsoft.com/l/meetup-join/team-a"
    assert m2.video_url == "https://whereby.com/etat-team-b"


def test_change_meeting_keeps_uid_raises_sequence_and_emails_update(
    meeting_settings, supplier_factory
):
    supplier = supplier_factory()
    first, second = _slots(meeting_settings.conference)[:2]
    meeting = book_slot(registration_id=supplier.pk, slot_id=first.pk)

    changed = change_meeting(registration_id=supplier.pk, to_slot_id=second.pk)

    assert (changed.pk, changed.uid, changed.slot_id, changed.sequence) == (
        meeting.pk,
        meeting.uid,
        second.pk,
        1,
    )
    assert _kinds(supplier) == [EmailKind.INVITE, EmailKind.UPDATE]
    assert MeetingEvent.objects.filter(meeting=meeting, kind=EventKind.MOVED).get().details == {
        "from_slot": first.pk,
        "to_slot": second.pk,
        "sequence": 1,
    }


def test_cancel_meeting_frees_slot_and_offers_it_to_first_waiting(
    meeting_settings, supplier_factory
):
    conference = meeting_settings.conference
    slots = _slots(conference)
    holders = [supplier_factory() for _ in slots]
    for holder, slot in zip(holders, slots, strict=True):
        book_slot(registration_id=holder.pk, slot_id=slot.pk)
    first_waiting, second_waiting = supplier_factory(), supplier_factory()
    join_waiting_list(registration_id=first_waiting.pk)
    join_waiting_list(registration_id=second_waiting.pk)

    cancelled = cancel_meeting(registration_id=holders[0].pk)

    assert (cancelled.status, cancelled.sequence) == (MeetingStatus.CANCELLED, 1)
    assert _kinds(holders[0]) == [EmailKind.INVITE, EmailKind.CANCEL]
    entry = WaitingListEntry.objects.get(registration=first_waiting)
    assert (entry.status, entry.offered_slot_id) == (WaitingStatus.OFFERED, slots[0].pk)
    assert _kinds(first_waiting) == [EmailKind.OFFER]
    assert _kinds(second_waiting) == []
    # The slot is held: the second in line cannot take it, the offered supplier can.
    with pytest.raises(SlotTakenError):
        book_slot(registration_id=second_waiting.pk, slot_id=slots[0].pk)
    meeting = book_slot(registration_id=first_waiting.pk, slot_id=slots[0].pk)
    assert meeting.slot_id == slots[0].pk
    entry.refresh_from_db()
    assert entry.status == WaitingStatus.BOOKED
    assert MeetingEvent.objects.filter(meeting=meeting).get().kind == EventKind.OFFER_ACCEPTED


def test_expired_offer_passes_to_the_next_waiting(meeting_settings, supplier_factory):
    slots = _slots(meeting_settings.conference)
    holders = [supplier_factory() for _ in slots]
    for holder, slot in zip(holders, slots, strict=True):
        book_slot(registration_id=holder.pk, slot_id=slot.pk)
    first_waiting, second_waiting = supplier_factory(), supplier_factory()
    join_waiting_list(registration_id=first_waiting.pk)
    join_waiting_list(registration_id=second_waiting.pk)
    cancel_meeting(registration_id=holders[0].pk)

    expired = expire_offers(now=timezone.now() + dt.timedelta(hours=25))

    assert expired == 1
    statuses = dict(WaitingListEntry.objects.values_list("registration_id", "status"))
    assert statuses == {
        first_waiting.pk: WaitingStatus.REMOVED,
        second_waiting.pk: WaitingStatus.OFFERED,
    }
    assert list(
        MeetingEvent.objects.filter(kind__in=[EventKind.OFFERED, EventKind.OFFER_EXPIRED])
        .order_by("pk")
        .values_list("kind", "registration_id")
    ) == [
        (EventKind.OFFERED, first_waiting.pk),
        (EventKind.OFFER_EXPIRED, first_waiting.pk),
        (EventKind.OFFERED, second_waiting.pk),
    ]


def test_freed_slot_after_the_booking_deadline_is_offered_to_nobody(
    meeting_settings, supplier_factory
):
    slots = _slots(meeting_settings.conference)
    holders = [supplier_factory() for _ in slots]
    for holder, slot in zip(holders, slots, strict=True):
        book_slot(registration_id=holder.pk, slot_id=slot.pk)
    waiting = supplier_factory()
    join_waiting_list(registration_id=waiting.pk)
    type(meeting_settings).objects.filter(pk=meeting_settings.pk).update(
        booking_deadline=timezone.now() - dt.timedelta(minutes=1)
    )

    cancel_meeting_by_staff(meeting_id=Meeting.objects.get(registration=holders[0]).pk)

    entry = WaitingListEntry.objects.get(registration=waiting)
    assert (entry.status, entry.offered_slot_id) == (WaitingStatus.WAITING, None)
    assert _kinds(waiting) == []


def test_release_meeting_for_registration_cancels_and_sends_cancel(
    meeting_settings, supplier_factory
):
    supplier = supplier_factory()
    meeting = book_slot(
        registration_id=supplier.pk, slot_id=_slots(meeting_settings.conference)[0].pk
    )

    released = release_meeting_for_registration(registration_id=supplier.pk)

    meeting.refresh_from_db()
    assert released is True
    assert meeting.status == MeetingStatus.CANCELLED
    assert _kinds(supplier) == [EmailKind.INVITE, EmailKind.CANCEL]
    assert release_meeting_for_registration(registration_id=supplier.pk) is False


def test_move_meeting_by_staff_ignores_deadline(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    first, second = _slots(meeting_settings.conference)[:2]
    meeting = book_slot(registration_id=supplier.pk, slot_id=first.pk)
    meeting_settings.booking_deadline = timezone.now() - dt.timedelta(hours=1)
    meeting_settings.save()
    staff = make_staff()

    moved = move_meeting(meeting_id=meeting.pk, to_slot_id=second.pk, actor=staff)

    assert (moved.slot_id, moved.sequence) == (second.pk, 1)
    assert MeetingEvent.objects.get(meeting=meeting, kind=EventKind.MOVED).actor == staff


def test_swap_meetings_exchanges_slots_and_emails_both(meeting_settings, supplier_factory):
    a, b = supplier_factory(), supplier_factory()
    first, second = _slots(meeting_settings.conference)[:2]
    meeting_a = book_slot(registration_id=a.pk, slot_id=first.pk)
    meeting_b = book_slot(registration_id=b.pk, slot_id=second.pk)

    swap_meetings(meeting_a_id=meeting_a.pk, meeting_b_id=meeting_b.pk, actor=make_staff())

    meeting_a.refresh_from_db()
    meeting_b.refresh_from_db()
    assert (meeting_a.slot_id, meeting_b.slot_id) == (second.pk, first.pk)
    assert (meeting_a.status, meeting_b.status) == (MeetingStatus.BOOKED, MeetingStatus.BOOKED)
    assert (meeting_a.sequence, meeting_b.sequence) == (1, 1)
    assert _kinds(a) == [EmailKind.INVITE, EmailKind.UPDATE]
    assert _kinds(b) == [EmailKind.INVITE, EmailKind.UPDATE]


def test_cancel_meeting_by_staff_records_actor(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    meeting = book_slot(
        registration_id=supplier.pk, slot_id=_slots(meeting_settings.conference)[0].pk
    )
    staff = make_staff()

    cancel_meeting_by_staff(meeting_id=meeting.pk, actor=staff, reason="The team is ill.")

    event = MeetingEvent.objects.get(meeting=meeting, kind=EventKind.CANCELLED)
    assert (event.actor, event.details["reason"]) == (staff, "The team is ill.")
    cancel_email = OutboundEmail.objects.get(registration=supplier, kind=EmailKind.CANCEL)
    assert "The team is ill." in cancel_email.body_text


def test_join_waiting_list_twice_refused(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    entry = join_waiting_list(registration_id=supplier.pk)

    with pytest.raises(MeetingError, match="already on the waiting list"):
        join_waiting_list(registration_id=supplier.pk)

    assert entry.position == 1
