"""Celery tasks of the conferences app. Names are stable."""

from __future__ import annotations

from celery import shared_task

from .services.uploads import purge_abandoned_uploads


@shared_task(name="conferences.purge_abandoned_uploads", acks_late=True, ignore_result=True)
def purge_abandoned_uploads_task() -> int:
    """Periodic: delete resumable uploads nobody touched for ``UPLOAD_ABANDONED_HOURS``."""
    return purge_abandoned_uploads()
