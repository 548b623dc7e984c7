"""Slot generation: the conference's slots follow its windows, teams, length and buffer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from dialogkonferanse.audit.log import record_audit

from ..choices import (
    EventKind,
)
from ..exceptions import MeetingError
from ..models import (
    Meeting,
    MeetingEvent,
    MeetingWindow,
    Slot,
    Team,
    WaitingListEntry,
)
from ._common import (
    OSLO,
    _lock_settings,
    _record,
)

# --- Slot generation ------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    created: int
    removed: int
    unchanged: int
    kept_booked: int  # booked or with history, outside the new plan: kept, never deleted
    skipped: int  # planned slots that would overlap a kept one


def plan_slots(
    *, windows: list[MeetingWindow], teams: list[Team], slot_minutes: int, buffer_minutes: int
) -> set[tuple[int, dt.datetime, dt.datetime]]:
    """``(team id, start, end)`` in UTC for every slot the windows hold.

    Window bounds are Oslo wall time; slots are laid out in real elapsed time from the
    window's start, so a meeting on a daylight-saving day lasts exactly its length.
    """
    length = dt.timedelta(minutes=slot_minutes)
    step = length + dt.timedelta(minutes=buffer_minutes)
    planned: set[tuple[int, dt.datetime, dt.datetime]] = set()
    for window in windows:
        start = dt.datetime.combine(window.date, window.start_time, tzinfo=OSLO).astimezone(dt.UTC)
        end = dt.datetime.combine(window.date, window.end_time, tzinfo=OSLO).astimezone(dt.UTC)
        cursor = start
        while cursor + length <= end:
            for team in teams:
                planned.add((team.pk, cursor, cursor + length))
            cursor += step
    return planned


def generate_slots(
    *, conference_id: int, actor: AbstractBaseUser | None = None
) -> GenerationResult:
    """Make the conference's slots match its windows, teams, length and buffer. Idempotent.

    Lock: the meeting setup row, then every slot of the conference. A slot that is booked, held
    by an offer or has any history is never deleted or changed, even if the plan no longer
    contains it; planned slots overlapping such a slot are skipped. Records one log entry.
    """
    with transaction.atomic():
        meeting_settings = _lock_settings(conference_id)
        teams = list(meeting_settings.teams.order_by("pk"))
        windows = list(meeting_settings.windows.order_by("date", "start_time"))
        if not teams or not windows:
            raise MeetingError(_("Add at least one team and one meeting window first."))
        planned = plan_slots(
            windows=windows,
            teams=teams,
            slot_minutes=meeting_settings.slot_minutes,
            buffer_minutes=meeting_settings.buffer_minutes,
        )
        existing = list(
            Slot.objects.select_for_update(of=("self",))
            .filter(conference_id=conference_id)
            .annotate(
                has_meeting=Exists(Meeting.objects.filter(slot=OuterRef("pk"))),
                has_offer=Exists(WaitingListEntry.objects.filter(offered_slot=OuterRef("pk"))),
                has_event=Exists(MeetingEvent.objects.filter(slot=OuterRef("pk"))),
            )
        )
        unchanged, kept, to_delete = set(), [], []
        for slot in existing:
            key = (slot.team_id, slot.starts_at, slot.ends_at)
            if key in planned:
                unchanged.add(key)
            elif slot.has_meeting or slot.has_offer or slot.has_event:
                kept.append(slot)
            else:
                to_delete.append(slot.pk)
        skipped = 0
        new = []
        for team_id, start, end in sorted(planned - unchanged, key=lambda k: (k[1], k[0])):
            if any(k.team_id == team_id and k.starts_at < end and start < k.ends_at for k in kept):
                skipped += 1
                continue
            new.append(
                Slot(conference_id=conference_id, team_id=team_id, starts_at=start, ends_at=end)
            )
        Slot.objects.filter(pk__in=to_delete).delete()
        Slot.objects.bulk_create(new)
        result = GenerationResult(
            created=len(new),
            removed=len(to_delete),
            unchanged=len(unchanged),
            kept_booked=len(kept),
            skipped=skipped,
        )
        _record(
            conference_id=conference_id,
            kind=EventKind.SLOTS_GENERATED,
            actor=actor,
            details=result.__dict__,
        )
        record_audit(
            actor=actor,
            action="generate_slots",
            obj=meeting_settings,
            changes={name: [None, value] for name, value in result.__dict__.items()},
        )
    return result
