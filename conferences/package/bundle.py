"""The information package as one file for the tender: requesting it, building it, its state.

``request_bundle`` is what a download asks: it computes the fingerprint of what is published
now and, under a lock on the conference's one ``PackageBundle`` row, either finds the file
current (ready, or already queued or being built for this content) or queues one build
(``conferences.build_package_bundle``, by name, after commit). Two requests at once therefore
queue one build: the unique row is created once (``get_or_create`` on the one-to-one key) and
the second request waits for the first's lock and then sees its queued build.

``build_bundle`` (the task) claims the row with a build token, writes the ZIP to a temporary
file, stores it through Django's default storage (local disk or S3-compatible storage) and
marks it ready, unless a newer request took the row over meanwhile. Progress is written to the
row as it goes, for the staff page and the public "being prepared" page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogkonferanse.common.tasks import enqueue_on_commit

from ..choices import BundleStatus, BundleStep
from ..exceptions import ConferenceError
from ..models import PackageBundle
from ..models.bundle import bundle_upload_to
from .bundle_content import gather_content
from .bundle_zip import write_bundle

logger = logging.getLogger(__name__)

BUILD_TASK = "conferences.build_package_bundle"
# Progress (per cent) at the start of each step; the copying of files fills most of the bar.
_STEP_RANGE = {
    BundleStep.COLLECTING: (1, 5),
    BundleStep.SUMMARY: (5, 25),
    BundleStep.TEXTS: (25, 30),
    BundleStep.DOCUMENTS: (30, 95),
    BundleStep.RECORDINGS: (30, 95),
    BundleStep.STORING: (95, 99),
}


def _stalled_after() -> dt.timedelta:
    """A build queued or running this long without finishing is taken as lost (worker gone)."""
    return dt.timedelta(minutes=getattr(settings, "PACKAGE_BUNDLE_STALLED_MINUTES", 60))


@dataclass(frozen=True)
class BundleState:
    """What a download page shows: the state in words (in the request's language)."""

    status: str
    label: str
    step_label: str
    progress: int
    ready: bool
    current: bool  # built from what is published now
    size: int | None
    finished_at: dt.datetime | None
    error: str

    def polled(self) -> dict[str, Any]:
        """What the progress pages poll for (public and admin): status, words and progress."""
        return {
            "status": self.status,
            "label": self.label,
            "step": self.step_label,
            "progress": self.progress,
            "ready": self.ready,
        }


def state_of(bundle: PackageBundle | None, *, current_fingerprint: str) -> BundleState:
    if bundle is None:
        return BundleState("missing", _("Not prepared yet"), "", 0, False, False, None, None, "")
    current = bundle.fingerprint == current_fingerprint
    ready = bundle.status == BundleStatus.READY and current
    if bundle.status == BundleStatus.READY and not current:
        label = _("Out of date: something was published or withdrawn since")
    else:
        label = str(bundle.get_status_display())
    return BundleState(
        status=bundle.status if current else "stale",
        label=label,
        step_label=str(bundle.get_step_display())
        if current and bundle.status in (BundleStatus.QUEUED, BundleStatus.BUILDING)
        else "",
        progress=bundle.progress if current else 0,
        ready=ready,
        current=current,
        size=bundle.size,
        finished_at=bundle.finished_at,
        error=bundle.error,
    )


def current_fingerprint(*, conference_id: int) -> str:
    return gather_content(conference_id=conference_id).fingerprint


def bundle_overview(*, conference_id: int) -> tuple[PackageBundle | None, BundleState]:
    """The conference's file and its state, without queuing anything (the staff page)."""
    bundle = PackageBundle.objects.filter(conference_id=conference_id).first()
    return bundle, state_of(
        bundle, current_fingerprint=current_fingerprint(conference_id=conference_id)
    )


def _is_stalled(bundle: PackageBundle, now: dt.datetime) -> bool:
    """Queued and never started, or building without progress (the build writes its progress,
    and so ``updated_at``, at least every per cent), for ``PACKAGE_BUNDLE_STALLED_MINUTES``."""
    since = bundle.updated_at if bundle.status == BundleStatus.BUILDING else bundle.requested_at
    return since is None or since < now - _stalled_after()


def request_bundle(*, conference_id: int, retry_failed: bool = False) -> PackageBundle:
    """The conference's package file for what is published now, queuing its build if needed.

    Locks the conference's ``PackageBundle`` row (created once; the one-to-one key is the
    guard). Nothing is queued when the file for this content is ready, queued or being built;
    a failed build is queued again only with ``retry_failed`` (staff), so visitors polling a
    failing build do not start it over and over. Side effect: the build task, after commit.
    """
    fingerprint = current_fingerprint(conference_id=conference_id)
    now = timezone.now()
    with transaction.atomic():
        bundle, created = PackageBundle.objects.get_or_create(
            conference_id=conference_id,
            defaults={"fingerprint": fingerprint, "requested_at": now},
        )
        if not created:
            bundle = PackageBundle.objects.select_for_update().get(pk=bundle.pk)
            if bundle.fingerprint == fingerprint and (
                bundle.status == BundleStatus.READY
                or (bundle.status == BundleStatus.FAILED and not retry_failed)
                or (
                    bundle.status in (BundleStatus.QUEUED, BundleStatus.BUILDING)
                    and not _is_stalled(bundle, now)
                )
            ):
                return bundle
            bundle.status = BundleStatus.QUEUED
            bundle.step = BundleStep.WAITING
            bundle.progress = 0
            bundle.fingerprint = fingerprint
            bundle.requested_at = now
            bundle.started_at = None
            bundle.build_token = None
            bundle.error = ""
            bundle.save()
        enqueue_on_commit(BUILD_TASK, bundle_id=bundle.pk, fingerprint=fingerprint)
    return bundle


def _claim(bundle_id: int, fingerprint: str, token: uuid.UUID) -> PackageBundle | None:
    now = timezone.now()
    with transaction.atomic():
        bundle = PackageBundle.objects.select_for_update().filter(pk=bundle_id).first()
        if bundle is None or bundle.fingerprint != fingerprint:
            return None  # gone, or a newer request queued its own build
        if bundle.status == BundleStatus.READY:
            return None
        if bundle.status == BundleStatus.BUILDING and not _is_stalled(bundle, now):
            return None  # another worker has it (a redelivered task)
        bundle.status = BundleStatus.BUILDING
        bundle.step = BundleStep.COLLECTING
        bundle.progress = 1
        bundle.started_at = now
        bundle.build_token = token
        bundle.save(
            update_fields=["status", "step", "progress", "started_at", "build_token", "updated_at"]
        )
    return bundle


class _Reporter:
    """Writes the step and per cent to the row when they change (one small UPDATE each)."""

    def __init__(self, bundle_id: int, token: uuid.UUID) -> None:
        self.bundle_id, self.token = bundle_id, token
        self.last: tuple[str, int] | None = None

    def __call__(self, step: str, fraction: float) -> None:
        low, high = _STEP_RANGE.get(step, (0, 99))
        percent = int(low + (high - low) * max(0.0, min(fraction, 1.0)))
        if (step, percent) == self.last:
            return
        self.last = (step, percent)
        PackageBundle.objects.filter(pk=self.bundle_id, build_token=self.token).update(
            step=step, progress=percent, updated_at=timezone.now()
        )


def build_bundle(*, bundle_id: int, fingerprint: str) -> str:
    """Build the package file queued for ``fingerprint``; idempotent (a task may be delivered
    twice). Returns what happened: ``built``, ``skipped``, ``superseded`` or ``failed``.

    Locks the bundle row to claim it and to finish; the build itself runs outside any
    transaction. Files are streamed from storage to a temporary file, then to storage.
    """
    token = uuid.uuid4()
    bundle = _claim(bundle_id, fingerprint, token)
    if bundle is None:
        return "skipped"
    report = _Reporter(bundle_id, token)
    generated = timezone.now().replace(microsecond=0)
    stored_name = ""
    try:
        content = gather_content(conference_id=bundle.conference_id)
        with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR, suffix=".zip") as temp:
            write_bundle(content, temp, generated=generated, progress=report)
            report(BundleStep.STORING, 0.0)
            size = temp.tell()
            temp.seek(0)
            digest = hashlib.sha256()
            while block := temp.read(1024 * 1024):
                digest.update(block)
            temp.seek(0)
            target = PackageBundle(conference_id=bundle.conference_id)
            stored_name = bundle.file.storage.save(
                bundle_upload_to(target, f"{content.folder}.zip"), File(temp)
            )
    except Exception as exc:
        logger.exception("Information package file of conference %s failed", bundle.conference_id)
        _fail(bundle_id, token, exc)
        return "failed"
    return _finish(
        bundle_id, token, fingerprint, content.fingerprint, stored_name, size, digest.hexdigest()
    )


def _fail(bundle_id: int, token: uuid.UUID, exc: Exception) -> None:
    # A rule's own message (a file that no longer matches its hash) tells staff what to do;
    # anything else is in the log.
    message = str(exc) if isinstance(exc, ConferenceError) else _("The file could not be made.")
    PackageBundle.objects.filter(pk=bundle_id, build_token=token).update(
        status=BundleStatus.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def _finish(
    bundle_id: int,
    token: uuid.UUID,
    requested: str,
    built: str,
    stored_name: str,
    size: int,
    sha256: str,
) -> str:
    with transaction.atomic():
        bundle = PackageBundle.objects.select_for_update().filter(pk=bundle_id).first()
        # Ours, or a newer request asked for exactly what this build holds (published while
        # it ran): either way the file is what the row asks for.
        if bundle is None or not (
            (bundle.build_token == token and bundle.fingerprint == requested)
            or bundle.fingerprint == built
        ):
            storage = PackageBundle._meta.get_field("file").storage
            transaction.on_commit(lambda: storage.delete(stored_name))
            return "superseded"
        previous = bundle.file.name
        bundle.file.name = stored_name
        bundle.size = size
        bundle.sha256 = sha256
        bundle.fingerprint = built
        bundle.status = BundleStatus.READY
        bundle.step = BundleStep.DONE
        bundle.progress = 100
        bundle.finished_at = timezone.now()
        bundle.error = ""
        bundle.save()
        if previous and previous != stored_name:
            storage = bundle.file.storage
            transaction.on_commit(lambda: storage.delete(previous))
    return "built"
