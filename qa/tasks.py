"""Celery tasks of the Q&A app: ids in, a service does the work. Names are stable."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import Question


@shared_task(name="qa.flush_vote_counts", acks_late=True, ignore_result=True)
def flush_vote_counts_task(*, conference_id: int) -> bool:
    """Trailing edge of vote coalescing: publish the conference's changed counts if due."""
    return services.flush_vote_counts(conference_id=conference_id)


@shared_task(name="qa.flush_vote_count", acks_late=True, ignore_result=True)
def flush_vote_count_task(*, question_id: int) -> bool:
    """Queued by earlier releases (coalescing per question): flushes the question's conference."""
    conference_id = (
        Question.objects.filter(pk=question_id).values_list("conference_id", flat=True).first()
    )
    return conference_id is not None and services.flush_vote_counts(conference_id=conference_id)
