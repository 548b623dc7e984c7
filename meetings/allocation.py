"""Allocation by staff: every opted-in supplier without a meeting gets a free slot, in
registration order or by a seeded lottery; the rest join the waiting list (DOMAIN.md rule 4).

The number of queries does not grow with the number of registrations: candidates, slots and
the waiting list are read once, meetings, log entries and waiting-list places are written with
bulk inserts. The invitations follow in a task after commit (``send_pending_invitations``);
every allocated meeting is marked as not yet notified, so a lost task loses nothing: the
periodic sweep sends what is left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogkonferanse.audit.log import record_audit
from dialogkonferanse.common.tasks import enqueue_on_commit
from registrations.models import Registration

from .choices import (
    ACTIVE_WAITING,
    AllocationMethod,
    EventKind,
    MeetingStatus,
    WaitingStatus,
)
from .exceptions import MeetingError
from .models import Meeting, MeetingEvent, Slot, WaitingListEntry
from .services._common import _actor, _lock_settings, ensure_dialogue_open, video_link
from .services.waiting import _next_position

MAX_SEED = 2**62


@dataclass(frozen=True)
class AllocationResult:
    method: str
    seed: int | None
    allocated: list[tuple[int, int]] = field(default_factory=list)  # (registration, slot)
    waitlisted: list[int] = field(default_factory=list)  # registrations, in order
    event_id: int | None = None
    fingerprint: str = ""  # of the inputs the result was computed from (see allocate_meetings)
    free_slots: int = 0  # free future slots before this allocation
    dry_run: bool = False


class AllocationChanged(MeetingError):
    """The candidates, the waiting list or the free slots changed since the preview staff saw."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or _(
                "Registrations, the waiting list or the free slots changed after the preview "
                "was made. Nothing was allocated: check the new preview and confirm again."
            )
        )


def allocation_fingerprint(
    *, method: str, seed: int | None, order: list[int], free_slot_ids: list[int]
) -> str:
    """A short digest of everything an allocation's result depends on: the same inputs give the
    same meetings and waiting list, so equal fingerprints mean the preview still holds."""
    payload = json.dumps(
        {"method": str(method), "seed": seed, "order": order, "free": free_slot_ids},
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def allocation_order(registration_ids: list[int], *, method: str, seed: int | None) -> list[int]:
    """The order in which new candidates get slots. Registration order is the input order;
    the lottery shuffles the ids sorted ascending with ``random.Random(seed)``, so the same
    seed and candidates always give the same order."""
    if method == AllocationMethod.REGISTRATION_ORDER:
        return list(registration_ids)
    ordered = sorted(registration_ids)
    random.Random(seed).shuffle(ordered)  # noqa: S311 - reproducible by design, not secret
    return ordered


def allocate_meetings(
    *,
    conference_id: int,
    method: str = AllocationMethod.REGISTRATION_ORDER,
    seed: int | None = None,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    expected_fingerprint: str | None = None,
) -> AllocationResult:
    """Give free future slots to opted-in suppliers without a meeting; the rest wait.

    Those already waiting come first, in their waiting-list order; then new candidates in
    registration order or lottery order (seed drawn and recorded when not given). Slots are
    filled earliest first. Locks: the meeting setup row, the candidates' registration rows and
    the free slot rows, all with one query each. Records the run (method, seed, order, result)
    and one entry per meeting and per new waiting place. Side effect: a task after commit
    sends the invitations.

    ``dry_run``: the same reads, locks and decisions, then stops before writing anything: the
    result is the preview staff confirm (a lottery without a seed draws one here, to be passed
    back with the confirmation). Every result carries the fingerprint of its inputs; with
    ``expected_fingerprint`` a run whose inputs differ (a registration, booking or slot changed
    since the preview) raises ``AllocationChanged`` and writes nothing.
    """
    method = AllocationMethod(method)
    now = now or timezone.now()
    if method == AllocationMethod.LOTTERY and seed is None:
        seed = secrets.randbelow(MAX_SEED)
    with transaction.atomic():
        meeting_settings = _lock_settings(conference_id)
        ensure_dialogue_open(meeting_settings.conference)
        booked = Meeting.objects.filter(registration=OuterRef("pk"), status=MeetingStatus.BOOKED)
        candidates = list(
            Registration.objects.select_for_update(of=("self",))
            .filter(
                conference_id=conference_id,
                wants_one_to_one=True,
                cancelled_at__isnull=True,
                anonymised_at__isnull=True,
            )
            .filter(~Exists(booked))
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        candidate_set = set(candidates)
        active_entries = {
            e.registration_id: e
            for e in WaitingListEntry.objects.filter(
                conference_id=conference_id, status__in=ACTIVE_WAITING
            ).order_by("position", "pk")
        }
        # Someone holding an offer keeps it; the offered slot is not allocated to anyone else.
        waiting_first = [
            reg_id
            for reg_id, e in active_entries.items()
            if e.status == WaitingStatus.WAITING and reg_id in candidate_set
        ]
        new_ids = [reg_id for reg_id in candidates if reg_id not in active_entries]
        order = waiting_first + allocation_order(new_ids, method=method, seed=seed)
        free = list(
            Slot.objects.select_for_update(of=("self",))
            .select_related("team")
            .filter(conference_id=conference_id, starts_at__gt=now)
            .filter(
                ~Exists(Meeting.objects.filter(slot=OuterRef("pk"), status=MeetingStatus.BOOKED)),
                ~Exists(
                    WaitingListEntry.objects.filter(
                        offered_slot=OuterRef("pk"), status=WaitingStatus.OFFERED
                    )
                ),
            )
            .order_by("starts_at", "team__name", "pk")
        )
        pairs = list(zip(order, free, strict=False))
        leftover = order[len(pairs) :]
        fingerprint = allocation_fingerprint(
            method=method.value, seed=seed, order=order, free_slot_ids=[slot.pk for slot in free]
        )
        if expected_fingerprint is not None and expected_fingerprint != fingerprint:
            raise AllocationChanged()
        if dry_run:
            return AllocationResult(
                method=method.value,
                seed=seed,
                allocated=[(r, slot.pk) for r, slot in pairs],
                waitlisted=list(leftover),
                fingerprint=fingerprint,
                free_slots=len(free),
                dry_run=True,
            )
        meetings = [
            Meeting(
                conference_id=conference_id,
                slot=slot,
                registration_id=reg_id,
                video_url=video_link(meeting_settings=meeting_settings, slot=slot),
                booked_at=now,
            )
            for reg_id, slot in pairs
        ]
        try:
            with transaction.atomic():
                Meeting.objects.bulk_create(meetings)
        except IntegrityError as exc:  # only if someone bypassed the locks above
            raise MeetingError(
                _("The allocation clashed with a booking made at the same time. Run it again.")
            ) from exc
        allocated_waiters = [active_entries[r].pk for r, _slot in pairs if r in active_entries]
        if allocated_waiters:
            WaitingListEntry.objects.filter(pk__in=allocated_waiters).update(
                status=WaitingStatus.BOOKED, updated_at=now
            )
        new_waiting = [r for r in leftover if r not in active_entries]
        first_position = _next_position(conference_id) if new_waiting else 0
        WaitingListEntry.objects.bulk_create(
            WaitingListEntry(
                conference_id=conference_id,
                registration_id=reg_id,
                position=first_position + i,
            )
            for i, reg_id in enumerate(new_waiting)
        )
        result = AllocationResult(
            method=method.value,
            seed=seed,
            allocated=[(r, slot.pk) for r, slot in pairs],
            waitlisted=list(leftover),
        )
        run = MeetingEvent.objects.create(
            conference_id=conference_id,
            kind=EventKind.ALLOCATION_RUN,
            actor=_actor(actor),
            seed=seed,
            details={
                "method": method.value,
                "order": order,
                "allocated": [list(p) for p in result.allocated],
                "waitlisted": result.waitlisted,
                "free_slots": len(free),
            },
            created_at=now,
        )
        MeetingEvent.objects.bulk_create(
            [
                MeetingEvent(
                    conference_id=conference_id,
                    kind=EventKind.ALLOCATED,
                    meeting=meeting,
                    registration_id=meeting.registration_id,
                    slot=meeting.slot,
                    actor=_actor(actor),
                    seed=seed,
                    details={"run": run.pk},
                    created_at=now,
                )
                for meeting in meetings
            ]
            + [
                MeetingEvent(
                    conference_id=conference_id,
                    kind=EventKind.WAITLISTED,
                    registration_id=reg_id,
                    actor=_actor(actor),
                    details={"run": run.pk, "position": first_position + i},
                    created_at=now,
                )
                for i, reg_id in enumerate(new_waiting)
            ]
        )
        record_audit(
            actor=actor,
            action="allocate",
            obj=meeting_settings,
            changes={
                "method": [None, method.value],
                "seed": [None, seed],
                "allocated": [None, len(result.allocated)],
                "waitlisted": [None, len(result.waitlisted)],
                "meeting_log_entry": [None, run.pk],
            },
        )
        if meetings:
            enqueue_on_commit("meetings.send_pending_invitations", conference_id=conference_id)
    return AllocationResult(
        method=result.method,
        seed=seed,
        allocated=result.allocated,
        waitlisted=result.waitlisted,
        event_id=run.pk,
        fingerprint=fingerprint,
        free_slots=len(free),
    )
