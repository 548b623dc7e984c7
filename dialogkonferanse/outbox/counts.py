"""Counts of outbox emails for the staff overview (conference dashboard, admin home)."""

from __future__ import annotations

from collections.abc import Iterable

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.common.counts import counts_by_conference
from dialogkonferanse.models import OutboundEmail


def email_counts(*, conference_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{conference id: {status: number of emails}} (one query)."""
    return counts_by_conference(OutboundEmail.objects.all(), conference_ids=conference_ids)


def failed_emails(*, conference_id: int, limit: int = 20) -> list[OutboundEmail]:
    """The most recently failed emails of a conference, with their error (one query)."""
    return list(
        OutboundEmail.objects.filter(conference_id=conference_id, status=EmailStatus.FAILED)
        .only(
            "pk",
            "kind",
            "to_email",
            "subject",
            "attempts",
            "last_error",
            "updated_at",
            "holds_secret",
            "registration_id",
        )
        .order_by("-updated_at", "-pk")[:limit]
    )
