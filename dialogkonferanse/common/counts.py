"""Grouped counts per conference for the staff overview (Django only, so any app may use it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet


def counts_by_conference(
    queryset: QuerySet, *, conference_ids: Iterable[int], field: str = "status"
) -> dict[int, dict[str, int]]:
    """{conference id: {value of ``field``: number of rows}} for the rows of ``queryset`` in
    those conferences (one grouped query)."""
    rows = (
        queryset.filter(conference_id__in=list(conference_ids))
        .values("conference_id", field)
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["conference_id"], {})[row[field]] = row["count"]
    return counts
