"""Celery tasks of the registrations app: ids and primitives in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from . import retention, services


@shared_task(name="registrations.send_access_link", acks_late=True, ignore_result=True)
def send_access_link_task(*, conference_id: int, email: str, request_id: str = "") -> None:
    """The "resend my link" work, done out of the request so its timing reveals nothing.
    Idempotent: a redelivered task with the same ``request_id`` sends nothing more."""
    services.send_access_link(conference_id=conference_id, email=email, request_id=request_id)


@shared_task(name="registrations.send_due_reminders", acks_late=True, ignore_result=True)
def send_due_reminders_task() -> int:
    """Beat, every few minutes: queue the reminders that are due (each once, by outbox key)."""
    return services.send_due_reminders()


# The name predates the task's move from the outbox's module: beat entries and tasks already
# queued under it keep working.
@shared_task(name="dialogkonferanse.anonymise_expired", acks_late=True, ignore_result=True)
def anonymise_expired() -> int:
    """Beat, daily: anonymise registrations past their conference's retention period.

    Idempotent: anonymised registrations are skipped.
    """
    return retention.anonymise_expired_registrations()
