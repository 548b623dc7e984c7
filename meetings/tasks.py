"""Celery tasks of the meetings app: ids and primitives in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="meetings.send_reminders", acks_late=True, ignore_result=True)
def send_reminders_task() -> int:
    """Beat, every few minutes: the 24-hour and 1-hour reminders due (each once, by key)."""
    return services.send_meeting_reminders()


@shared_task(name="meetings.send_pending_invitations", acks_late=True, ignore_result=True)
def send_pending_invitations_task(*, conference_id: int | None = None) -> int:
    """After an allocation, and by beat as a sweep: invitations not yet sent."""
    return services.send_pending_invitations(conference_id=conference_id)


@shared_task(name="meetings.expire_offers", acks_late=True, ignore_result=True)
def expire_offers_task() -> int:
    """Beat: offers of freed slots not taken in time pass to the next on the waiting list."""
    return services.expire_offers()
