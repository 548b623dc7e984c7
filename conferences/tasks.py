"""Celery tasks of the conferences app. Names are stable."""

from __future__ import annotations

from celery import shared_task

from .package.bundle import build_bundle
from .services.uploads import purge_abandoned_uploads


@shared_task(name="conferences.purge_abandoned_uploads", acks_late=True, ignore_result=True)
def purge_abandoned_uploads_task() -> int:
    """Periodic: delete resumable uploads nobody touched for ``UPLOAD_ABANDONED_HOURS``."""
    return purge_abandoned_uploads()


@shared_task(name="conferences.build_package_bundle", acks_late=True, ignore_result=True)
def build_package_bundle_task(bundle_id: int, fingerprint: str) -> str:
    """Build the information package file (ZIP) queued for ``fingerprint``; idempotent."""
    return build_bundle(bundle_id=bundle_id, fingerprint=fingerprint)
