"""The waiting list: joining, offers of freed slots, and offers running out."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from conferences.models import Conference

from .. import emails
from ..choices import (
    ACTIVE_WAITING,
    EventKind,
    MeetingStatus,
    WaitingStatus,
)
from ..exceptions import MeetingError
from ..models import (
    Meeting,
    MeetingSettings,
    Slot,
    WaitingListEntry,
)
from ._common import (
    BOOKABLE_STATUSES,
    _ensure_supplier_may_act,
    _lock_settings_then_registration,
    _lock_slot,
    _now,
    _record,
    _settings,
)


def _next_position(conference_id: int) -> int:
    current = WaitingListEntry.objects.filter(conference_id=conference_id).aggregate(
        top=Max("position")
    )["top"]
    return (current or 0) + 1


def join_waiting_list(*, registration_id: int, now: dt.datetime | None = None) -> WaitingListEntry:
    """The supplier, finding no free slot, joins the end of the waiting list.

    Locks the meeting setup row (positions are handed out one at a time), then the
    registration. A supplier with a meeting or a place already gets an error.
    """
    now = _now(now)
    with transaction.atomic():
        meeting_settings, registration = _lock_settings_then_registration(registration_id)
        conference_id = registration.conference_id
        _ensure_supplier_may_act(registration, meeting_settings, now=now)
        if Meeting.objects.filter(registration=registration, status=MeetingStatus.BOOKED).exists():
            raise MeetingError(_("You already have a meeting."))
        if WaitingListEntry.objects.filter(
            registration=registration, status__in=ACTIVE_WAITING
        ).exists():
            raise MeetingError(_("You are already on the waiting list."))
        entry = WaitingListEntry.objects.create(
            conference_id=conference_id,
            registration=registration,
            position=_next_position(conference_id),
        )
        _record(
            conference_id=conference_id,
            kind=EventKind.WAITLISTED,
            registration_id=registration.pk,
            details={"position": entry.position},
            now=now,
        )
    return entry


def _offer_freed_slot(
    slot: Slot, *, meeting_settings: MeetingSettings, now: dt.datetime
) -> WaitingListEntry | None:
    """Hold a freed future slot for the first supplier waiting, and email them the offer.

    Runs inside the caller's transaction, which holds the slot (or its meeting) lock. Locks the
    first waiting entry (SKIP LOCKED: one being handled elsewhere is passed over).
    """
    if slot.starts_at <= now or now >= meeting_settings.booking_deadline:
        return None  # nobody could accept it any more
    if not Conference.objects.filter(
        pk=slot.conference_id, status__in=BOOKABLE_STATUSES, offers_one_to_one=True
    ).exists():
        return None  # the dialogue is closed (or meetings are no longer offered)
    if Meeting.objects.filter(slot=slot, status=MeetingStatus.BOOKED).exists():
        return None
    if WaitingListEntry.objects.filter(offered_slot=slot, status=WaitingStatus.OFFERED).exists():
        return None
    entry = (
        WaitingListEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("registration", "conference", "conference__buyer")
        .filter(
            conference_id=slot.conference_id,
            status=WaitingStatus.WAITING,
            registration__cancelled_at__isnull=True,
            registration__anonymised_at__isnull=True,
        )
        .order_by("position", "pk")
        .first()
    )
    if entry is None:
        return None
    entry.status = WaitingStatus.OFFERED
    entry.offered_slot = slot
    entry.offered_at = now
    entry.offer_expires_at = min(
        now + dt.timedelta(hours=meeting_settings.offer_hours),
        slot.starts_at,
        meeting_settings.booking_deadline,
    )
    entry.save(
        update_fields=["status", "offered_slot", "offered_at", "offer_expires_at", "updated_at"]
    )
    _record(
        conference_id=slot.conference_id,
        kind=EventKind.OFFERED,
        registration_id=entry.registration_id,
        slot_id=slot.pk,
        details={"position": entry.position, "expires_at": entry.offer_expires_at.isoformat()},
        now=now,
    )
    emails.queue_offer(entry)
    return entry


def expire_offers(*, now: dt.datetime | None = None) -> int:
    """Offers not taken in time leave the list (recorded); the slot goes to the next waiting.

    One transaction per offer; locks the entry (SKIP LOCKED) and the slot. Returns how many.
    """
    now = _now(now)
    expired = 0
    due = list(
        WaitingListEntry.objects.filter(
            status=WaitingStatus.OFFERED, offer_expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    for entry_id in due:
        with transaction.atomic():
            entry = (
                WaitingListEntry.objects.select_for_update(skip_locked=True)
                .filter(pk=entry_id, status=WaitingStatus.OFFERED, offer_expires_at__lte=now)
                .first()
            )
            if entry is None or entry.offered_slot_id is None:
                continue
            slot = _lock_slot(entry.offered_slot_id, conference_id=entry.conference_id)
            entry.status = WaitingStatus.REMOVED
            entry.save(update_fields=["status", "updated_at"])
            _record(
                conference_id=entry.conference_id,
                kind=EventKind.OFFER_EXPIRED,
                registration_id=entry.registration_id,
                slot_id=slot.pk,
                now=now,
            )
            _offer_freed_slot(slot, meeting_settings=_settings(entry.conference_id), now=now)
            expired += 1
    return expired
