"""Celery tasks of the Q&A app: ids in, a service does the work. Names are stable."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="qa.flush_vote_count", acks_late=True, ignore_result=True)
def flush_vote_count_task(*, question_id: int) -> bool:
    """Trailing edge of vote coalescing: publish the question's count if a flush is pending."""
    return services.flush_vote_count(question_id=question_id)
