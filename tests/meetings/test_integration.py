"""The meetings app inside the registration flow: the personal page and cancellation."""

from __future__ import annotations

import pytest

from dialogkonferanse.models import OutboundEmail
from meetings.choices import EmailKind, MeetingStatus
from meetings.models import Slot
from meetings.services import book_slot
from registrations.services import cancel_registration

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


def test_personal_page_shows_meeting_box_with_link_to_booking(
    meeting_settings, supplier_factory, supplier_client
):
    supplier = supplier_factory()
    slot = Slot.objects.order_by("starts_at", "team__name").first()
    book_slot(registration_id=supplier.pk, slot_id=slot.pk)

    text = supplier_client(supplier).get("/me/fyrdialog/").content.decode()

    assert "See or change your meeting" in text
    assert "/me/fyrdialog/meeting/" in text
    assert "UTC+01:00" in text
