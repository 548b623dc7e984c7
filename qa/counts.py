"""Counts of questions and attendance for the staff overview (conference dashboard, admin
home). Each function issues one grouped query, however many rows or conferences there are.
Viewers connected right now come from ``qa.live.viewers_now`` (Redis, no query)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from dialogkonferanse.common.counts import counts_by_conference

from .models import Attendance, Question


def question_counts(*, conference_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{conference id: {status: number of questions}} (one query)."""
    return counts_by_conference(Question.objects.all(), conference_ids=conference_ids)


def attendance_counts(*, conference_ids: Iterable[int]) -> dict[int, int]:
    """Distinct registrations that opened the stream page while the conference was live
    (``qa.services.record_attendance``), per conference (one query)."""
    rows = (
        Attendance.objects.filter(conference_id__in=list(conference_ids))
        .values("conference_id")
        .annotate(count=Count("registration_id", distinct=True))
        .order_by()
    )
    return {row["conference_id"]: row["count"] for row in rows}
