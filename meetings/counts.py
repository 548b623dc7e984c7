"""Counts of one-to-one meetings for the staff overview (conference dashboard, admin home).

Each function issues a fixed number of grouped queries, however many slots, meetings or
conferences there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from .choices import ACTIVE_WAITING, MeetingStatus, WaitingStatus
from .models import Meeting, Slot, WaitingListEntry


@dataclass(frozen=True)
class MeetingCounts:
    slots: int = 0
    booked: int = 0
    waiting: int = 0
    offered: int = 0

    @property
    def free(self) -> int:
        """Slots without a booked meeting (an offered slot counts as free until accepted)."""
        return self.slots - self.booked


def meeting_counts(*, conference_ids: Iterable[int]) -> dict[int, MeetingCounts]:
    """Slots, slots with a booked meeting, and the waiting list (waiting, holding an offer) per
    conference (two queries)."""
    ids = list(conference_ids)
    booked = Meeting.objects.filter(slot=OuterRef("pk"), status=MeetingStatus.BOOKED)
    slot_rows = (
        Slot.objects.filter(conference_id__in=ids)
        .annotate(is_booked=Exists(booked))
        .values("conference_id")
        .annotate(slots=Count("pk"), booked=Count("pk", filter=Q(is_booked=True)))
        .order_by()
    )
    waiting_rows = (
        WaitingListEntry.objects.filter(conference_id__in=ids, status__in=ACTIVE_WAITING)
        .values("conference_id")
        .annotate(
            waiting=Count("pk", filter=Q(status=WaitingStatus.WAITING)),
            offered=Count("pk", filter=Q(status=WaitingStatus.OFFERED)),
        )
        .order_by()
    )
    values: dict[int, dict[str, int]] = {}
    for row in slot_rows:
        values.setdefault(row["conference_id"], {}).update(slots=row["slots"], booked=row["booked"])
    for row in waiting_rows:
        values.setdefault(row["conference_id"], {}).update(
            waiting=row["waiting"], offered=row["offered"]
        )
    return {conference_id: MeetingCounts(**counts) for conference_id, counts in values.items()}
