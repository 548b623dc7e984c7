"""The locks, checks and log records every meetings service shares (lock order: see
``meetings.services``)."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from conferences.services import lock_conference_for_share
from registrations.models import Registration
from registrations.selectors import conference_id_of
from registrations.services import lock_registration

from .. import emails
from ..choices import (
    BOOKABLE_STATUSES,
    EventKind,
    MeetingStatus,
    VideoProvider,
    WaitingStatus,
)
from ..exceptions import MeetingError, SlotTakenError
from ..models import (
    Meeting,
    MeetingEvent,
    MeetingSettings,
    Slot,
    WaitingListEntry,
)
from ..selectors import free_slots

OSLO = ZoneInfo("Europe/Oslo")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _actor(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


# --- Locks and checks -----------------------------------------------------------------------


def _lock_registration(registration_id: int) -> Registration:
    """The registration row FOR UPDATE: one supplier's own actions run one at a time."""
    registration = lock_registration(registration_id)
    if registration is None:
        raise MeetingError(_("This registration no longer exists."))
    return registration


def _lock_settings(conference_id: int) -> MeetingSettings:
    found = MeetingSettings.objects.select_for_update().filter(conference_id=conference_id).first()
    if found is None:
        raise MeetingError(_("One-to-one meetings are not set up for this conference."))
    return found


def _lock_settings_then_registration(registration_id: int) -> tuple[MeetingSettings, Registration]:
    """The meeting setup row, then the registration, both FOR UPDATE (in that order, as every
    service that hands out waiting-list positions takes them)."""
    conference_id = conference_id_of(registration_id)
    if conference_id is None:
        raise MeetingError(_("This registration no longer exists."))
    return _lock_settings(conference_id), _lock_registration(registration_id)


def _settings(conference_id: int) -> MeetingSettings:
    found = MeetingSettings.objects.filter(conference_id=conference_id).first()
    if found is None:
        raise MeetingError(_("One-to-one meetings are not set up for this conference."))
    return found


def _lock_slot(slot_id: int, *, conference_id: int) -> Slot:
    """The slot row FOR UPDATE, only if it belongs to the conference (ids come from users)."""
    slot = (
        Slot.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk=slot_id, conference_id=conference_id)
        .first()
    )
    if slot is None:
        raise MeetingError(_("That slot does not exist."))
    return slot


def _lock_booked_meeting(registration_id: int) -> Meeting | None:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("slot", "slot__team", "conference", "conference__buyer", "registration")
        .filter(registration_id=registration_id, status=MeetingStatus.BOOKED)
        .first()
    )


def ensure_dialogue_open(conference: Conference) -> None:
    """Staff too: no meeting is booked, moved or allocated once the dialogue is closed."""
    if conference.status == ConferenceStatus.CLOSED:
        raise MeetingError(
            _(
                "The dialogue is closed: the competition has been announced, so meetings can no "
                "longer be booked or changed."
            )
        )


def _ensure_supplier_may_act(
    registration: Registration,
    meeting_settings: MeetingSettings,
    *,
    now: dt.datetime,
    wish_required: bool = True,
) -> None:
    """Checked on the conference as it is now, taken FOR SHARE (after the registration row): a
    status change (FOR UPDATE) waits for this action, or this action for it, so nothing is
    booked after the dialogue moves on without the status change seeing it."""
    conference = lock_conference_for_share(registration.conference_id) or registration.conference
    registration.conference = conference
    ensure_dialogue_open(conference)
    if conference.status not in BOOKABLE_STATUSES or not conference.offers_one_to_one:
        raise MeetingError(_("This conference does not offer one-to-one meetings now."))
    if not registration.is_active:
        raise MeetingError(_("Your registration is cancelled."))
    if wish_required and not registration.wants_one_to_one:
        raise MeetingError(_("You did not ask for a one-to-one meeting when you registered."))
    if now >= meeting_settings.booking_deadline:
        raise MeetingError(_("The booking deadline has passed. Write to the buyer for changes."))


def _ensure_slot_free(slot: Slot, *, registration_id: int, now: dt.datetime) -> None:
    """Re-check under the slot lock: not started, not booked, not held for someone else."""
    if slot.starts_at <= now:
        raise MeetingError(_("That slot has already started."))
    if Meeting.objects.filter(slot=slot, status=MeetingStatus.BOOKED).exists():
        raise SlotTakenError()
    held = (
        WaitingListEntry.objects.filter(
            offered_slot=slot, status=WaitingStatus.OFFERED, offer_expires_at__gt=now
        )
        .exclude(registration_id=registration_id)
        .exists()
    )
    if held:
        raise SlotTakenError()


def video_link(*, meeting_settings: MeetingSettings, slot: Slot) -> str:
    """A Jitsi room with an unguessable (128-bit) name, or the link pasted on slot or team."""
    if meeting_settings.video_provider == VideoProvider.JITSI:
        return f"{settings.JITSI_BASE_URL.rstrip('/')}/Dialog-{secrets.token_hex(16)}"
    return slot.video_url or slot.team.video_url


def _record(
    *,
    conference_id: int,
    kind: EventKind,
    meeting: Meeting | None = None,
    registration_id: int | None = None,
    slot_id: int | None = None,
    actor: AbstractBaseUser | None = None,
    details: dict | None = None,
    now: dt.datetime | None = None,
) -> MeetingEvent:
    return MeetingEvent.objects.create(
        conference_id=conference_id,
        kind=kind,
        meeting=meeting,
        registration_id=registration_id or (meeting.registration_id if meeting else None),
        slot_id=slot_id or (meeting.slot_id if meeting else None),
        actor=_actor(actor),
        details=details or {},
        created_at=_now(now),
    )


def _time_taken() -> SlotTakenError:
    return SlotTakenError(_("That time was just taken. Please choose another."))


def _save_or_taken(meeting: Meeting, *, by_time: bool = False, **save_kwargs: object) -> None:
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            meeting.save(**save_kwargs)  # type: ignore[arg-type]
    except IntegrityError as exc:
        raise (_time_taken() if by_time else SlotTakenError()) from exc


def _slot_free(slot: Slot, *, registration_id: int, now: dt.datetime) -> bool:
    try:
        _ensure_slot_free(slot, registration_id=registration_id, now=now)
    except SlotTakenError:
        return False
    return True


def _take_slot_at(
    *,
    conference_id: int,
    starts_at: dt.datetime,
    registration_id: int,
    now: dt.datetime,
    offer: WaitingListEntry | None = None,
) -> Slot:
    """The slot a supplier gets for a chosen time, FOR UPDATE: the one held for them by
    ``offer`` if it is at that time, else the first free team's slot at that time (teams are
    internal: suppliers choose a time, never a team). Free slots are locked one at a time with
    SKIP LOCKED, so two suppliers choosing one time with two free teams both get a meeting, and
    each candidate is re-checked under its lock. Raises ``SlotTakenError`` when no team is free
    at that time, ``MeetingError`` for a time not offered or already begun.
    """
    if starts_at <= now:
        raise MeetingError(_("That time has already begun. Please choose another."))
    if (
        offer is not None
        and offer.status == WaitingStatus.OFFERED
        and offer.offered_slot_id is not None
        and offer.offer_expires_at is not None
        and offer.offer_expires_at > now
        and offer.offered_slot.starts_at == starts_at
    ):
        slot = _lock_slot(offer.offered_slot_id, conference_id=conference_id)
        if _slot_free(slot, registration_id=registration_id, now=now):
            return slot
    if not Slot.objects.filter(conference_id=conference_id, starts_at=starts_at).exists():
        raise MeetingError(_("That time is not one of the meeting times. Please choose another."))
    tried: list[int] = []
    while True:
        slot = (
            free_slots(conference_id=conference_id, registration_id=registration_id, now=now)
            .filter(starts_at=starts_at)
            .exclude(pk__in=tried)
            .select_for_update(of=("self",), skip_locked=True)
            .first()
        )
        if slot is None:
            raise _time_taken()
        if _slot_free(slot, registration_id=registration_id, now=now):
            return slot
        tried.append(slot.pk)


def _notify_request(meeting: Meeting) -> None:
    emails.queue_invitation(meeting)
    meeting.notified_sequence = meeting.sequence
    Meeting.objects.filter(pk=meeting.pk).update(notified_sequence=meeting.sequence)
