"""Bookings, changes, moves, swaps and cancellations of meetings."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from conferences.choices import ConferenceStatus, RemainingMeetings
from dialogkonferanse.audit.log import record_audit, record_change, snapshot
from registrations.models import Registration

from .. import emails
from ..choices import (
    ACTIVE_WAITING,
    AllocationMode,
    EventKind,
    MeetingStatus,
    VideoProvider,
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
    _ensure_slot_free,
    _ensure_supplier_may_act,
    _lock_booked_meeting,
    _lock_registration,
    _lock_slot,
    _notify_request,
    _now,
    _record,
    _save_or_taken,
    _settings,
    _take_slot_at,
    ensure_dialogue_open,
    video_link,
)
from .waiting import _offer_freed_slot

# --- Booking by the supplier ----------------------------------------------------------------


def book_slot(*, registration_id: int, slot_id: int, now: dt.datetime | None = None) -> Meeting:
    """The supplier books one given slot (the one offered to them, or any free one in
    self-service). The supplier's pages book by time: ``book_time``.

    Invariant: one booked meeting per slot and per registration (partial unique constraints).
    Locks: the registration row, its waiting-list entry, then the slot row; re-checks under
    the locks. Raises
    ``SlotTakenError`` if someone else got the slot first, ``MeetingError`` for other rules.
    Side effects: a log entry and an invitation with a METHOD:REQUEST ``.ics``.
    """
    return _book(registration_id=registration_id, slot_id=slot_id, now=_now(now))


def book_time(
    *, registration_id: int, starts_at: dt.datetime, now: dt.datetime | None = None
) -> Meeting:
    """The supplier books a meeting at a chosen time; the service picks the team (the slot held
    for them by an offer at that time, else the first free team at that time).

    Invariant and locks as ``book_slot``; the slot is chosen under lock (``_take_slot_at``).
    Raises ``SlotTakenError`` when no team is free at that time any more, ``MeetingError`` for
    other rules. Side effects: a log entry and an invitation with a METHOD:REQUEST ``.ics``.
    """
    return _book(registration_id=registration_id, starts_at=starts_at, now=_now(now))


def _book(
    *,
    registration_id: int,
    now: dt.datetime,
    slot_id: int | None = None,
    starts_at: dt.datetime | None = None,
) -> Meeting:
    with transaction.atomic():
        registration = _lock_registration(registration_id)
        conference = registration.conference
        meeting_settings = _settings(conference.pk)
        _ensure_supplier_may_act(registration, meeting_settings, now=now)
        if Meeting.objects.filter(registration=registration, status=MeetingStatus.BOOKED).exists():
            raise MeetingError(
                _("You already have a meeting. Change it instead of booking another.")
            )
        # The waiting-list entry before the slot: expire_offers locks entry, then slot.
        entry = (
            WaitingListEntry.objects.select_for_update(of=("self",))
            .select_related("offered_slot")
            .filter(registration=registration, status__in=ACTIVE_WAITING)
            .first()
        )
        offer_valid = bool(
            entry
            and entry.status == WaitingStatus.OFFERED
            and entry.offer_expires_at
            and entry.offer_expires_at > now
        )
        staff_allocate = meeting_settings.allocation_mode == AllocationMode.STAFF
        if starts_at is not None:
            if staff_allocate and not (
                offer_valid and entry is not None and entry.offered_slot.starts_at == starts_at
            ):
                raise MeetingError(_("The buyer allocates the meeting times for this conference."))
            slot = _take_slot_at(
                conference_id=conference.pk,
                starts_at=starts_at,
                registration_id=registration.pk,
                now=now,
                offer=entry,
            )
        elif slot_id is not None:
            slot = _lock_slot(slot_id, conference_id=conference.pk)
        else:
            raise ValueError("Book either a slot or a time.")
        accepting_offer = bool(offer_valid and entry and entry.offered_slot_id == slot.pk)
        if staff_allocate and not accepting_offer:
            raise MeetingError(_("The buyer allocates the meeting times for this conference."))
        if starts_at is None:
            _ensure_slot_free(slot, registration_id=registration.pk, now=now)
        meeting = Meeting(
            conference=conference,
            slot=slot,
            registration=registration,
            video_url=video_link(meeting_settings=meeting_settings, slot=slot),
            booked_at=now,
        )
        _save_or_taken(meeting, by_time=starts_at is not None)
        if entry is not None:
            entry.status = WaitingStatus.BOOKED
            entry.save(update_fields=["status", "updated_at"])
        _record(
            conference_id=conference.pk,
            kind=EventKind.OFFER_ACCEPTED if accepting_offer else EventKind.BOOKED,
            meeting=meeting,
            now=now,
        )
        _notify_request(meeting)
    return meeting


def _move(
    meeting: Meeting,
    *,
    to_slot: Slot,
    meeting_settings: MeetingSettings,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    by_time: bool = False,
) -> Meeting:
    old_slot = meeting.slot
    if old_slot.pk == to_slot.pk:
        raise MeetingError(_("The meeting is already at that time."))
    before = snapshot(meeting)
    _ensure_slot_free(to_slot, registration_id=meeting.registration_id, now=now)
    meeting.slot = to_slot
    meeting.sequence += 1
    if meeting_settings.video_provider == VideoProvider.LINK:
        meeting.video_url = video_link(meeting_settings=meeting_settings, slot=to_slot)
    _save_or_taken(
        meeting, by_time=by_time, update_fields=["slot", "sequence", "video_url", "updated_at"]
    )
    _record(
        conference_id=meeting.conference_id,
        kind=EventKind.MOVED,
        meeting=meeting,
        actor=actor,
        details={"from_slot": old_slot.pk, "to_slot": to_slot.pk, "sequence": meeting.sequence},
        now=now,
    )
    if actor is not None:
        record_change(actor=actor, action="move", obj=meeting, before=before)
    _notify_request(meeting)
    _offer_freed_slot(old_slot, meeting_settings=meeting_settings, now=now)
    return meeting


def _lock_meeting_to_change(
    registration_id: int, *, now: dt.datetime
) -> tuple[Registration, MeetingSettings, Meeting]:
    """For a supplier moving their own meeting: the registration, then the booked meeting,
    FOR UPDATE, after the checks that self-service allows a move now."""
    registration = _lock_registration(registration_id)
    meeting_settings = _settings(registration.conference_id)
    _ensure_supplier_may_act(registration, meeting_settings, now=now)
    if meeting_settings.allocation_mode == AllocationMode.STAFF:
        raise MeetingError(
            _("The buyer allocates the meeting times; write to them to change yours.")
        )
    meeting = _lock_booked_meeting(registration.pk)
    if meeting is None:
        raise MeetingError(_("You have no meeting to change."))
    return registration, meeting_settings, meeting


def change_meeting(
    *, registration_id: int, to_slot_id: int, now: dt.datetime | None = None
) -> Meeting:
    """The supplier moves their own meeting to another free slot (self-service, until the
    deadline). Locks registration, meeting, then the target slot. Same UID, SEQUENCE + 1, a
    new REQUEST; the freed slot goes to the first on the waiting list."""
    now = _now(now)
    with transaction.atomic():
        registration, meeting_settings, meeting = _lock_meeting_to_change(registration_id, now=now)
        to_slot = _lock_slot(to_slot_id, conference_id=registration.conference_id)
        return _move(
            meeting, to_slot=to_slot, meeting_settings=meeting_settings, actor=None, now=now
        )


def change_meeting_time(
    *, registration_id: int, starts_at: dt.datetime, now: dt.datetime | None = None
) -> Meeting:
    """The supplier moves their own meeting to another time (self-service, until the deadline);
    the service picks a free team at that time. Locks registration, meeting, then the chosen
    slot (``_take_slot_at``). Same UID, SEQUENCE + 1, a new REQUEST; the freed slot goes to the
    first on the waiting list. Raises ``MeetingError`` for the meeting's own time."""
    now = _now(now)
    with transaction.atomic():
        registration, meeting_settings, meeting = _lock_meeting_to_change(registration_id, now=now)
        if meeting.slot.starts_at == starts_at:
            raise MeetingError(_("Your meeting is already at that time."))
        to_slot = _take_slot_at(
            conference_id=registration.conference_id,
            starts_at=starts_at,
            registration_id=registration.pk,
            now=now,
        )
        return _move(
            meeting,
            to_slot=to_slot,
            meeting_settings=meeting_settings,
            actor=None,
            now=now,
            by_time=True,
        )


def move_meeting(
    *,
    meeting_id: int,
    to_slot_id: int,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Staff move a booked meeting to a free slot of the same conference (no deadline).

    Locks the registration, the meeting, then the target slot. Same effects as a change.
    """
    now = _now(now)
    with transaction.atomic():
        registration_id = (
            Meeting.objects.filter(pk=meeting_id).values_list("registration_id", flat=True).first()
        )
        if registration_id is None:
            raise MeetingError(_("That meeting does not exist."))
        _lock_registration(registration_id)
        meeting = _lock_booked_meeting(registration_id)
        if meeting is None or meeting.pk != meeting_id:
            raise MeetingError(_("Only a booked meeting can be moved."))
        ensure_dialogue_open(meeting.conference)
        meeting_settings = _settings(meeting.conference_id)
        to_slot = _lock_slot(to_slot_id, conference_id=meeting.conference_id)
        return _move(
            meeting, to_slot=to_slot, meeting_settings=meeting_settings, actor=actor, now=now
        )


def swap_meetings(
    *,
    meeting_a_id: int,
    meeting_b_id: int,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> tuple[Meeting, Meeting]:
    """Staff swap the slots of two booked meetings of one conference.

    Locks both registrations (ascending id), both meetings, both slots. Each meeting gets
    SEQUENCE + 1, a log entry and a new REQUEST.
    """
    now = _now(now)
    if meeting_a_id == meeting_b_id:
        raise MeetingError(_("Choose two different meetings to swap."))
    with transaction.atomic():
        rows = dict(
            Meeting.objects.filter(pk__in=[meeting_a_id, meeting_b_id]).values_list(
                "pk", "registration_id"
            )
        )
        if len(rows) != 2:
            raise MeetingError(_("That meeting does not exist."))
        for registration_id in sorted(rows.values()):
            _lock_registration(registration_id)
        locked = {
            m.pk: m
            for m in Meeting.objects.select_for_update(of=("self",))
            .select_related("slot", "slot__team", "conference", "conference__buyer", "registration")
            .filter(pk__in=rows, status=MeetingStatus.BOOKED)
        }
        if len(locked) != 2:
            raise MeetingError(_("Only booked meetings can be swapped."))
        a, b = locked[meeting_a_id], locked[meeting_b_id]
        if a.conference_id != b.conference_id:
            raise MeetingError(_("Only meetings of the same conference can be swapped."))
        ensure_dialogue_open(a.conference)
        before = {a.pk: snapshot(a), b.pk: snapshot(b)}
        list(Slot.objects.select_for_update().filter(pk__in=[a.slot_id, b.slot_id]).order_by("pk"))
        meeting_settings = _settings(a.conference_id)
        slot_a, slot_b = a.slot, b.slot
        # The slot uniqueness covers booked rows only and cannot be deferred (it is partial):
        # step B out of "booked" for the moment A takes B's slot.
        Meeting.objects.filter(pk=b.pk).update(status=MeetingStatus.CANCELLED, cancelled_at=now)
        for meeting, slot in ((a, slot_b), (b, slot_a)):
            meeting.slot = slot
            meeting.sequence += 1
            meeting.status = MeetingStatus.BOOKED
            meeting.cancelled_at = None
            if meeting_settings.video_provider == VideoProvider.LINK:
                meeting.video_url = video_link(meeting_settings=meeting_settings, slot=slot)
            _save_or_taken(meeting)
        for meeting, other in ((a, b), (b, a)):
            _record(
                conference_id=meeting.conference_id,
                kind=EventKind.SWAPPED,
                meeting=meeting,
                actor=actor,
                details={"with_meeting": other.pk, "sequence": meeting.sequence},
                now=now,
            )
            record_change(actor=actor, action="swap", obj=meeting, before=before[meeting.pk])
            _notify_request(meeting)
    return a, b


# --- Cancelling and the waiting list --------------------------------------------------------


def _cancel(
    meeting: Meeting,
    *,
    actor: AbstractBaseUser | None,
    reason: str | Promise,
    now: dt.datetime,
    offer_on: bool = True,
) -> Meeting:
    """Cancel the (locked) meeting. ``reason`` may be lazy, so the email gives it in the
    supplier's language. ``offer_on=False``: the freed slot is offered to no one, and the email
    does not invite the supplier to book another time."""
    before = snapshot(meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    _record(
        conference_id=meeting.conference_id,
        kind=EventKind.CANCELLED,
        meeting=meeting,
        actor=actor,
        details={
            "reason": str(reason),
            "sequence": meeting.sequence,
            "by_staff": actor is not None,
        },
        now=now,
    )
    if actor is not None:
        record_change(actor=actor, action="cancel", obj=meeting, before=before, note=str(reason))
    emails.queue_cancellation(meeting, reason=reason, rebook=offer_on)
    Meeting.objects.filter(pk=meeting.pk).update(notified_sequence=meeting.sequence)
    if not offer_on:
        return meeting
    meeting_settings = MeetingSettings.objects.filter(conference_id=meeting.conference_id).first()
    if meeting_settings is not None:
        _offer_freed_slot(meeting.slot, meeting_settings=meeting_settings, now=now)
    return meeting


def cancel_meeting(*, registration_id: int, now: dt.datetime | None = None) -> Meeting:
    """The supplier cancels their own meeting until the deadline.

    Locks the registration, then the meeting. Side effects: SEQUENCE + 1, a METHOD:CANCEL
    email, a log entry, and the freed slot offered to the first on the waiting list.
    """
    now = _now(now)
    with transaction.atomic():
        registration = _lock_registration(registration_id)
        meeting_settings = _settings(registration.conference_id)
        _ensure_supplier_may_act(registration, meeting_settings, now=now)
        meeting = _lock_booked_meeting(registration.pk)
        if meeting is None:
            raise MeetingError(_("You have no meeting to cancel."))
        return _cancel(meeting, actor=None, reason="", now=now)


def cancel_meeting_by_staff(
    *,
    meeting_id: int,
    actor: AbstractBaseUser | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Staff cancel a booked meeting (no deadline). Locks registration, then meeting."""
    now = _now(now)
    with transaction.atomic():
        registration_id = (
            Meeting.objects.filter(pk=meeting_id).values_list("registration_id", flat=True).first()
        )
        if registration_id is None:
            raise MeetingError(_("That meeting does not exist."))
        _lock_registration(registration_id)
        meeting = _lock_booked_meeting(registration_id)
        if meeting is None or meeting.pk != meeting_id:
            raise MeetingError(_("Only a booked meeting can be cancelled."))
        return _cancel(meeting, actor=actor, reason=reason, now=now)


def release_meeting_for_registration(
    *, registration_id: int, now: dt.datetime | None = None
) -> bool:
    """A registration is cancelled or anonymised: cancel its meeting and leave the waiting list.

    Call it inside the registration's own transaction (nested atomic). Locks the registration
    (again; harmless inside the caller's lock), the meeting and the waiting-list entry. Side
    effects: a METHOD:CANCEL email for a booked meeting, log entries, and freed slots offered
    on. Returns whether anything was released. Ignores the booking deadline.
    """
    now = _now(now)
    released = False
    with transaction.atomic():
        _lock_registration(registration_id)
        meeting = _lock_booked_meeting(registration_id)
        if meeting is not None:
            _cancel(meeting, actor=None, reason=_("The registration was cancelled."), now=now)
            released = True
        for entry in WaitingListEntry.objects.select_for_update().filter(
            registration_id=registration_id, status__in=ACTIVE_WAITING
        ):
            offered = entry.offered_slot if entry.status == WaitingStatus.OFFERED else None
            entry.status = WaitingStatus.REMOVED
            entry.save(update_fields=["status", "updated_at"])
            released = True
            if offered is not None:
                meeting_settings = _settings(entry.conference_id)
                _offer_freed_slot(offered, meeting_settings=meeting_settings, now=now)
    return released


# --- The dialogue moves to follow-up or closes ----------------------------------------------

_ENDED_REASONS = {
    ConferenceStatus.FOLLOW_UP: gettext_lazy(
        "The buyer has ended the one-to-one meetings of this dialogue."
    ),
    ConferenceStatus.CLOSED: gettext_lazy(
        "The dialogue is closed: the competition has been announced, so no more one-to-one "
        "meetings are held."
    ),
}


def settle_remaining_meetings(
    *,
    conference_id: int,
    to_status: str,
    decision: str,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> list[Meeting]:
    """The dialogue moves to follow-up or closes: cancel or keep the booked meetings that have
    not started, as staff decided (``decision``: a ``RemainingMeetings`` value or ``""``).

    Runs inside the conference's status change, which holds the conference row FOR UPDATE (a
    supplier's booking takes it FOR SHARE, so none slips in). Locks the remaining meetings
    (ascending id). Raises ``MeetingError`` when meetings remain and there is no decision, or
    when closing would keep them. Cancelling: SEQUENCE + 1, a METHOD:CANCEL email each (sent
    after commit), a log entry each; the freed slots are offered to no one. Either way the
    decision, who took it and the meetings it covered go to the audit log. Returns them.
    """
    now = _now(now)
    to_status = ConferenceStatus(to_status)
    with transaction.atomic():
        remaining = list(
            Meeting.objects.select_for_update(of=("self",))
            .select_related("slot", "slot__team", "conference", "conference__buyer", "registration")
            .filter(
                conference_id=conference_id,
                status=MeetingStatus.BOOKED,
                slot__starts_at__gt=now,
            )
            .order_by("pk")
        )
        if not remaining:
            return []
        count = len(remaining)
        if not decision:
            if to_status == ConferenceStatus.CLOSED:
                message = ngettext(
                    "%(count)d booked meeting has not been held yet. Closing the dialogue "
                    "cancels it: confirm the cancellation.",
                    "%(count)d booked meetings have not been held yet. Closing the dialogue "
                    "cancels them: confirm the cancellation.",
                    count,
                )
            else:
                message = ngettext(
                    "%(count)d booked meeting has not been held yet. Decide whether to cancel "
                    "it or to keep it for the follow-up.",
                    "%(count)d booked meetings have not been held yet. Decide whether to cancel "
                    "them or to keep them for the follow-up.",
                    count,
                )
            raise MeetingError(message % {"count": count})
        decision = RemainingMeetings(decision)
        if decision == RemainingMeetings.KEEP and to_status == ConferenceStatus.CLOSED:
            raise MeetingError(
                _(
                    "Meetings cannot be kept when the dialogue closes: once the competition is "
                    "announced, no one-to-one meeting may be held. Cancel them, or hold them "
                    "during the follow-up before closing."
                )
            )
        conference = remaining[0].conference
        record_audit(
            actor=actor,
            action=f"{decision.value}_remaining_meetings",
            obj=conference,
            changes={
                "decision": [None, decision.value],
                "status": [None, to_status.value],
                "meetings": [None, [meeting.pk for meeting in remaining]],
            },
            note=ngettext(
                "%(count)d meeting not yet held", "%(count)d meetings not yet held", count
            )
            % {"count": count},
        )
        if decision == RemainingMeetings.CANCEL:
            for meeting in remaining:
                _cancel(
                    meeting,
                    actor=actor,
                    reason=_ENDED_REASONS[to_status],
                    now=now,
                    offer_on=False,
                )
    return remaining
