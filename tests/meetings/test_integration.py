"""The meetings app inside the registration flow: the personal page and cancellation."""

from __future__ import annotations

import pytest

from dialogkonferanse.models import OutboundEmail
from meetings.choices import EmailKind, MeetingStatus
from meetings.models import Meeting, Slot
from meetings.services import book_slot
from registrations.models import Registration
from registrations.services import cancel_registration
from registrations.signals import registration_cancelled

pytestmark = pytest.mark.django_db


def test_cancel_registration_frees_the_meeting_and_sends_cancel(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    slot = Slot.objects.order_by("starts_at", "team__name").first()
    meeting = book_slot(registration_id=supplier.pk, slot_id=slot.pk)

    cancel_registration(registration_id=supplier.pk)

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert list(
        OutboundEmail.objects.filter(registration=supplier)
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [EmailKind.INVITE, EmailKind.CANCEL]
    other = supplier_factory()
    assert book_slot(registration_id=other.pk, slot_id=slot.pk).is_booked


def test_cancel_registration_twice_sends_the_cancel_once(meeting_settings, supplier_factory):
    supplier = supplier_factory()
    slot = Slot.objects.order_by("starts_at", "team__name").first()
    book_slot(registration_id=supplier.pk, slot_id=slot.pk)

    cancel_registration(registration_id=supplier.pk)
    cancel_registration(registration_id=supplier.pk)

    assert list(
        OutboundEmail.objects.filter(registration=supplier)
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [EmailKind.INVITE, EmailKind.CANCEL]


def test_cancel_registration_failing_receiver_rolls_the_cancellation_back(
    meeting_settings, supplier_factory
):
    supplier = supplier_factory()
    slot = Slot.objects.order_by("starts_at", "team__name").first()
    meeting = book_slot(registration_id=supplier.pk, slot_id=slot.pk)
    emails_before = list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))

    seen = []

    def fail(**kwargs):
        seen.append(Meeting.objects.get(pk=meeting.pk).status)
        raise RuntimeError("receiver failed")

    # Connected after the meetings receiver, so the meeting is released before this one fails.
    registration_cancelled.connect(fail, dispatch_uid="test-failing-receiver")
    try:
        with pytest.raises(RuntimeError, match="receiver failed"):
            cancel_registration(registration_id=supplier.pk)
    finally:
        registration_cancelled.disconnect(dispatch_uid="test-failing-receiver")

    meeting.refresh_from_db()
    assert seen == [MeetingStatus.CANCELLED]  # released inside the transaction, then undone
    assert Registration.objects.get(pk=supplier.pk).cancelled_at is None
    assert (meeting.status, meeting.cancelled_at) == (MeetingStatus.BOOKED, None)
    assert list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True)) == emails_before


def test_personal_page_shows_meeting_box_with_link_to_booking(
    meeting_settings, supplier_factory, supplier_client
):
    supplier = supplier_factory()
    slot = Slot.objects.order_by("starts_at", "team__name").first()
    book_slot(registration_id=supplier.pk, slot_id=slot.pk)

    text = supplier_client(supplier).get("/me/fyrdialog/").content.decode()

    assert "See, move or cancel your meeting" in text
    assert "/me/fyrdialog/meeting/" in text
    assert "All times are Norwegian time (UTC+1)." in text  # once, not after every time
    assert "UTC+01:00" not in text
    # "What you registered" tells the same status as the box: no promise of an email.
    assert text.count("Booked: ") == 2
    assert "You will get an email with the time" not in text
    assert "Book your meeting" not in text
