"""Counts of registrations for the staff overview (conference dashboard, admin home).

Every function issues a fixed number of grouped queries, however many registrations or
conferences there are. Cancelled registrations are left out of every figure here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from .models import Registration

OSLO = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class RegistrationTotals:
    registrations: int = 0
    meeting_wishes: int = 0
    cancelled: int = 0


def _active():
    return Registration.objects.filter(cancelled_at__isnull=True)


def registration_totals(*, conference_ids: Iterable[int]) -> dict[int, RegistrationTotals]:
    """Active registrations, those asking for a one-to-one meeting, and cancellations, per
    conference (one query)."""
    active = Q(cancelled_at__isnull=True)
    rows = (
        Registration.objects.filter(conference_id__in=list(conference_ids))
        .values("conference_id")
        .annotate(
            registrations=Count("pk", filter=active),
            meeting_wishes=Count("pk", filter=active & Q(wants_one_to_one=True)),
            cancelled=Count("pk", filter=~active),
        )
        .order_by()
    )
    return {
        row["conference_id"]: RegistrationTotals(
            registrations=row["registrations"],
            meeting_wishes=row["meeting_wishes"],
            cancelled=row["cancelled"],
        )
        for row in rows
    }


def registrations_per_day(*, conference_id: int) -> list[tuple[dt.date, int]]:
    """Active registrations by the Oslo day they were made, oldest first, days without any
    included (one query)."""
    rows = (
        _active()
        .filter(conference_id=conference_id)
        .annotate(day=TruncDate("created_at", tzinfo=OSLO))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    counts = {row["day"]: row["count"] for row in rows}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = (last - first).days + 1
    return [
        (first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0))
        for i in range(days)
    ]


def registrations_by(*, conference_id: int, field: str) -> list[tuple[str, int]]:
    """Active registrations grouped by ``country`` or ``language``: (code, count), largest
    first (one query)."""
    if field not in ("country", "language"):
        raise ValueError(field)
    rows = (
        _active()
        .filter(conference_id=conference_id)
        .values(field)
        .annotate(count=Count("pk"))
        .order_by("-count", field)
    )
    return [(row[field], row["count"]) for row in rows]
