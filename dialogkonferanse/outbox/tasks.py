"""Celery tasks of the email outbox. Names are stable: queued messages outlive deployments."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_shutdown

from dialogkonferanse.outbox import delivery


@shared_task(name="dialogkonferanse.deliver_email", acks_late=True, ignore_result=True)
def deliver_email(email_id: int | None, wake: bool = False) -> dict[str, int]:
    """Send outbox row ``email_id`` (if still queued) with other due rows on one connection.

    Idempotent: a row already claimed, sent or failed is skipped, so the task of an email that
    an earlier batch took finds nothing of its own. Transient SMTP errors put rows back in the
    queue and schedule a later run; nothing is retried here. ``wake`` is accepted and ignored:
    tasks published by earlier releases (which marked a send task "on its way" in Redis) still
    carry it, and run as plain send tasks.
    """
    del wake
    result = delivery.deliver_queued_emails(email_id=email_id)
    return {
        "sent": len(result.sent),
        "failed": len(result.failed),
        "retry": len(result.retry),
        "connections": result.connections,
    }


@shared_task(name="dialogkonferanse.sweep_outbox", acks_late=True, ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    """Periodic (beat): re-dispatch lost sends and re-queue rows stuck in ``sending``."""
    return delivery.sweep_outbox()


@worker_shutdown.connect
@worker_process_shutdown.connect
def _quit_kept_smtp_connections(**_kwargs: object) -> None:
    """A stopping worker (or prefork child) says QUIT on the connections it kept open."""
    delivery.close_kept_connections()
