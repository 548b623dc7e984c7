"""Celery tasks of the conferences app. Names are stable."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from .package.bundle import build_bundle
from .package.stored_files import (
    delete_unreferenced_files,
    hash_pending_files,
    hash_stored_file,
)
from .services.storage import StoredObjectMissing
from .services.uploads import purge_abandoned_uploads

logger = logging.getLogger(__name__)


@shared_task(name="conferences.purge_abandoned_uploads", acks_late=True, ignore_result=True)
def purge_abandoned_uploads_task() -> int:
    """Periodic: delete resumable uploads nobody touched for ``UPLOAD_ABANDONED_HOURS``."""
    return purge_abandoned_uploads()


@shared_task(name="conferences.build_package_bundle", acks_late=True, ignore_result=True)
def build_package_bundle_task(bundle_id: int, fingerprint: str) -> str:
    """Build the information package file (ZIP) queued for ``fingerprint``; idempotent."""
    return build_bundle(bundle_id=bundle_id, fingerprint=fingerprint)


@shared_task(
    name="conferences.hash_stored_file",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=8,
)
def hash_stored_file_task(self, kind: str, item_id: int, name: str) -> bool:  # type: ignore[no-untyped-def]
    """The SHA-256 of a file sent straight to object storage, read back outside any request.
    Idempotent; a storage error is retried with backoff, a missing object is logged."""
    try:
        return hash_stored_file(kind=kind, item_id=item_id, name=name)
    except StoredObjectMissing:
        logger.warning("The stored file %s of %s %s is missing", name, kind, item_id)
        return False
    except Exception as exc:  # botocore's connection and server errors share no base class
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries)) from exc


@shared_task(name="conferences.hash_pending_files", acks_late=True, ignore_result=True)
def hash_pending_files_task() -> int:
    """Periodic: queue the hash of items whose SHA-256 is still pending (a task was lost)."""
    return hash_pending_files()


@shared_task(name="conferences.delete_stored_files", bind=True, acks_late=True, ignore_result=True)
def delete_stored_files_task(self, names: list[str]) -> int:  # type: ignore[no-untyped-def]
    """Delete the files of removed or replaced items from storage (after their commit); a
    failure is retried with doubling delays, ``MEDIA_DELETE_MAX_RETRIES`` times."""
    try:
        return delete_unreferenced_files(names=names)
    except Exception as exc:  # botocore's connection and server errors share no base class
        raise self.retry(
            exc=exc,
            countdown=settings.MEDIA_DELETE_RETRY_SECONDS * 2**self.request.retries,
            max_retries=settings.MEDIA_DELETE_MAX_RETRIES,
        ) from exc
