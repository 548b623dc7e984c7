"""Resumable uploads of recordings and documents: start, append a chunk at an offset, ask the
offset, cancel, and purge what was abandoned.

Each chunk is streamed from the request to the end of a temporary file in ``UPLOAD_TEMP_DIR``
(never held in memory) while the SHA-256 is updated with the same bytes. ``hashlib`` state cannot
be stored, so each server process keeps the running digest of the uploads it served; a process
that meets an upload further along than its digest catches up by reading only the missing bytes
back from the file. Appending locks the upload row, so two requests never write the same upload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pymediainfo import MediaInfo

from ..choices import UploadKind
from ..exceptions import ConferenceError
from ..models import Upload

logger = logging.getLogger(__name__)

READ_BLOCK = 1024 * 1024
SNIFF_BYTES = 12
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


class UploadError(ConferenceError):
    """An upload request that cannot be carried out; ``status`` is the HTTP status to answer."""

    status = 400


class UploadNotFound(UploadError):
    status = 404


class UploadOffsetMismatch(UploadError):
    status = 409


class UploadTooLarge(UploadError):
    status = 413


class UploadRejected(UploadError):
    """The content is not of an allowed type; the upload is deleted."""

    status = 415


class UploadInterrupted(UploadError):
    """The chunk ended before its announced length; what arrived is kept."""

    status = 400


def max_upload_bytes(kind: str) -> int:
    return (
        settings.VIDEO_MAX_UPLOAD_BYTES
        if kind == UploadKind.RECORDING
        else settings.DOCUMENT_MAX_UPLOAD_BYTES
    )


def content_is_allowed(kind: str, head: bytes) -> bool:
    """Judge the first bytes, not the name: MP4 (``ftyp`` box) or WebM (EBML) for recordings,
    PDF for documents (the same rules as ``conferences.validators``)."""
    if kind == UploadKind.RECORDING:
        return head[4:8] == b"ftyp" or head.startswith(_EBML_MAGIC)
    return head.startswith(b"%PDF-")


def rejected_message(kind: str) -> str:
    if kind == UploadKind.RECORDING:
        return _("Upload an MP4 or WebM video file.")
    return _("Upload a PDF document.")


# --- Running digests, per server process ------------------------------------------------------


@dataclass
class _Running:
    offset: int
    digest: Any


_DIGESTS: OrderedDict[str, _Running] = OrderedDict()
_DIGESTS_LOCK = threading.Lock()
_DIGESTS_MAX = 64


def _take_digest(upload: Upload, handle: BinaryIO) -> Any:
    """The SHA-256 of the upload's first ``offset`` bytes, continued from this process's last
    state when it has one (reading back only the bytes it has not seen)."""
    key = upload.id.hex
    with _DIGESTS_LOCK:
        running = _DIGESTS.pop(key, None)
    if running is None or running.offset > upload.offset:
        running = _Running(offset=0, digest=hashlib.sha256())
    if running.offset < upload.offset:
        handle.seek(running.offset)
        remaining = upload.offset - running.offset
        while remaining:
            block = handle.read(min(READ_BLOCK, remaining))
            if not block:
                break
            running.digest.update(block)
            remaining -= len(block)
        running.offset = upload.offset
    return running.digest


def _keep_digest(upload: Upload, digest: Any) -> None:
    with _DIGESTS_LOCK:
        _DIGESTS[upload.id.hex] = _Running(offset=upload.offset, digest=digest)
        while len(_DIGESTS) > _DIGESTS_MAX:
            _DIGESTS.popitem(last=False)


def _drop_digest(upload_id: Any) -> None:
    with _DIGESTS_LOCK:
        _DIGESTS.pop(getattr(upload_id, "hex", str(upload_id)), None)


# --- Reads ------------------------------------------------------------------------------------


def get_upload(*, upload_id: Any, owner: AbstractBaseUser, kind: str | None = None) -> Upload:
    """The upload ``upload_id`` if ``owner`` started it (and it is of ``kind``); else
    ``UploadNotFound`` (another user's upload is not revealed)."""
    queryset = Upload.objects.filter(owner=owner)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    upload = queryset.filter(pk=_parse_id(upload_id)).first()
    if upload is None:
        raise UploadNotFound(_("This upload does not exist or is not yours."))
    return upload


def _parse_id(upload_id: Any) -> uuid.UUID:
    try:
        return upload_id if isinstance(upload_id, uuid.UUID) else uuid.UUID(str(upload_id))
    except ValueError as exc:
        raise UploadNotFound(_("This upload does not exist or is not yours.")) from exc


def _locked(upload_id: Any, owner: AbstractBaseUser) -> Upload:
    upload = Upload.objects.select_for_update().filter(pk=_parse_id(upload_id), owner=owner).first()
    if upload is None:
        raise UploadNotFound(_("This upload does not exist or is not yours."))
    return upload


# --- Writes -----------------------------------------------------------------------------------


def validate_new_upload(*, kind: str, length: int, filename: str) -> str:
    """Refuse an unknown kind, an empty file or one over the limit for its kind
    (``UploadTooLarge``); returns the file name to keep (its last path part)."""
    if kind not in UploadKind.values:
        raise UploadError(_("Unknown kind of upload."))
    limit = max_upload_bytes(kind)
    if length <= 0:
        raise UploadError(_("The file is empty."))
    if length > limit:
        if kind == UploadKind.RECORDING:
            message = _("The video file is too large (at most %(size)s GB).") % {
                "size": round(limit / 1_000_000_000, 1)
            }
        else:
            message = _("The document is too large (at most %(size)s MB).") % {
                "size": limit // 1_000_000
            }
        raise UploadTooLarge(message)
    return os.path.basename((filename or "").replace("\\", "/")).strip()[:255] or "upload"


def start_upload(*, owner: AbstractBaseUser, kind: str, length: int, filename: str) -> Upload:
    """Create an upload of ``length`` bytes and its empty temporary file (limits as in
    ``validate_new_upload``)."""
    name = validate_new_upload(kind=kind, length=length, filename=filename)
    upload = Upload.objects.create(owner=owner, kind=kind, length=length, filename=name)
    upload.path.parent.mkdir(parents=True, exist_ok=True)
    upload.path.touch()
    return upload


def append_chunk(
    *,
    upload_id: Any,
    owner: AbstractBaseUser,
    offset: int,
    stream: BinaryIO,
    content_length: int | None,
) -> Upload:
    """Append the bytes of ``stream`` at ``offset`` (which must be the stored offset) to the
    upload's file, updating its SHA-256 as they pass. Locks the upload row for the chunk.

    Idempotent at the protocol level: a chunk sent again after an answer was lost is refused
    with ``UploadOffsetMismatch`` and the client asks the offset. A chunk cut short keeps what
    arrived (``UploadInterrupted``, after the offset is saved). The first bytes are checked
    against the kind (``UploadRejected`` deletes the upload). The last chunk completes it and
    reads the video's duration.
    """
    interrupted = False
    with transaction.atomic():
        upload = _locked(upload_id, owner)
        if upload.is_complete or offset != upload.offset:
            raise UploadOffsetMismatch(
                _("The upload is at byte %(offset)s; continue from there.")
                % {"offset": upload.offset}
            )
        allowed = upload.length - upload.offset
        if content_length is not None and content_length > allowed:
            raise UploadTooLarge(_("The chunk goes past the end of the announced file."))
        wanted = allowed if content_length is None else content_length
        with open(upload.path, "r+b") as handle:
            digest = _take_digest(upload, handle)
            # Bytes past the recorded offset are from a write that did not finish: drop them.
            handle.truncate(upload.offset)
            handle.seek(upload.offset)
            received = 0
            while received < wanted:
                try:
                    block = stream.read(min(READ_BLOCK, wanted - received))
                except OSError:
                    block = b""
                if not block:
                    interrupted = content_length is not None
                    break
                handle.write(block)
                digest.update(block)
                received += len(block)
            handle.flush()
            os.fsync(handle.fileno())
            before = upload.offset
            upload.offset += received
            if before < SNIFF_BYTES <= upload.offset or (
                upload.offset == upload.length and before < SNIFF_BYTES
            ):
                handle.seek(0)
                if not content_is_allowed(upload.kind, handle.read(SNIFF_BYTES)):
                    rejected = True
                else:
                    rejected = False
            else:
                rejected = False
        if rejected:
            _remove(upload)
        elif upload.offset == upload.length:
            upload.sha256 = digest.hexdigest()
            upload.completed_at = timezone.now()
            _drop_digest(upload.id)
        else:
            _keep_digest(upload, digest)
        if not rejected:
            upload.save(update_fields=["offset", "sha256", "completed_at", "updated_at"])
    if rejected:
        raise UploadRejected(rejected_message(upload.kind))
    if upload.is_complete and upload.kind == UploadKind.RECORDING:
        upload = _record_duration(upload)
    if interrupted:
        raise UploadInterrupted(
            _("The connection dropped; the upload continues from byte %(offset)s.")
            % {"offset": upload.offset}
        )
    return upload


def _record_duration(upload: Upload) -> Upload:
    duration = read_duration(upload.path)
    if duration is not None:
        Upload.objects.filter(pk=upload.pk).update(duration=duration)
        upload.duration = duration
    return upload


def read_duration(path: Any) -> dt.timedelta | None:
    """The duration of a video file read by MediaInfo (MP4/MOV, WebM/Matroska and the other
    containers it knows), or ``None`` when it cannot be read. Never raises."""
    try:
        for speed in (0.5, 1.0):
            # WebM written by browsers (MediaRecorder) has no duration in its header: the
            # second pass reads the whole file to find the last frame.
            info = MediaInfo.parse(str(path), parse_speed=speed)
            for track in info.tracks:
                if track.track_type in ("General", "Video") and track.duration:
                    milliseconds = float(track.duration)
                    if milliseconds > 0:
                        return dt.timedelta(seconds=round(milliseconds / 1000))
    except Exception:  # an unreadable file is staff's to fix, not an error page
        logger.warning("Could not read the duration of %s", path, exc_info=True)
    return None


def cancel_upload(*, upload_id: Any, owner: AbstractBaseUser) -> None:
    """Delete ``owner``'s upload and its temporary file (the client's cancel)."""
    with transaction.atomic():
        upload = _locked(upload_id, owner)
        _remove(upload)


def _remove(upload: Upload) -> None:
    _drop_digest(upload.id)
    if upload.is_direct:
        discard_direct_upload(upload)
    upload.path.unlink(missing_ok=True)
    upload.delete()


def storage_client_and_bucket() -> tuple[Any, str]:
    """The S3 client and bucket of the media storage (``DJANGO_MEDIA_STORAGE=s3``)."""
    return default_storage.connection.meta.client, default_storage.bucket_name  # type: ignore[attr-defined]


def discard_direct_upload(upload: Upload) -> None:
    """Abort a direct upload's multipart upload and delete its object (cancel, purge)."""
    client, bucket = storage_client_and_bucket()
    with contextlib.suppress(Exception):  # already completed or aborted
        client.abort_multipart_upload(
            Bucket=bucket, Key=upload.object_key, UploadId=upload.multipart_id
        )
    client.delete_object(Bucket=bucket, Key=upload.object_key)


class CompletedUpload(UploadedFile):
    """A completed upload handed to a model ``FileField``: the local storage moves the file
    (``temporary_file_path``) instead of copying it; other storages stream it."""

    def __init__(self, upload: Upload) -> None:
        handle = open(upload.path, "rb")  # noqa: SIM115 - closed by the storage / consume_upload
        super().__init__(
            handle, name=upload.filename, content_type=None, size=upload.length, charset=None
        )
        self.upload = upload

    def temporary_file_path(self) -> str:
        return str(self.upload.path)


def attachable_upload(*, upload_id: Any, owner: AbstractBaseUser, kind: str) -> Upload:
    """``owner``'s completed upload of ``kind``, ready to attach to a recording or document."""
    upload = get_upload(upload_id=upload_id, owner=owner, kind=kind)
    if not upload.is_complete or (not upload.is_direct and not upload.path.exists()):
        raise UploadNotFound(_("The upload is not complete yet. Wait for it to finish."))
    return upload


def consume_upload(*, upload: Upload, file: CompletedUpload | None = None) -> None:
    """Forget an upload once its file is attached (the file was moved or copied to storage)."""
    if file is not None:
        file.close()
    Upload.objects.filter(pk=upload.pk).delete()
    _drop_digest(upload.id)
    upload.path.unlink(missing_ok=True)


def purge_abandoned_uploads(*, now: dt.datetime | None = None) -> int:
    """Delete uploads untouched for ``UPLOAD_ABANDONED_HOURS`` and their files, and stray files
    in ``UPLOAD_TEMP_DIR`` with no row that are as old. Returns how many uploads went."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.UPLOAD_ABANDONED_HOURS)
    removed = 0
    for upload_id in Upload.objects.filter(updated_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            upload = (
                Upload.objects.select_for_update(skip_locked=True)
                .filter(pk=upload_id, updated_at__lt=cutoff)
                .first()
            )
            if upload is not None:
                _remove(upload)
                removed += 1
    folder = settings.UPLOAD_TEMP_DIR
    if os.path.isdir(folder):
        known = {u.hex for u in Upload.objects.values_list("pk", flat=True)}
        for entry in os.scandir(folder):
            stem = entry.name.removesuffix(".part")
            modified = dt.datetime.fromtimestamp(entry.stat().st_mtime, tz=dt.UTC)
            if entry.is_file() and stem not in known and modified < cutoff:
                os.unlink(entry.path)
    return removed
