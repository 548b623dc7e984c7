"""The stored files of recordings, captions and documents: their SHA-256 evidence when the bytes
did not pass through this server, the check made when an item is published, and deleting the
files of removed or replaced items.

A file the browser sent straight to S3-compatible storage (``services.direct_uploads``) was
never seen by this server, and S3 keeps no SHA-256 of a whole multipart object. The item is
saved with its SHA-256 empty ("pending", and it cannot be published) and the task
``conferences.hash_stored_file`` reads the object back once, streamed in blocks, outside any
request; a periodic sweep hashes what a lost task left. Files that passed through the server are
hashed as they arrive (resumable uploads) or from the local temporary file (form posts).

On object storage the publish check does not read a recording of several GB back under the
conference lock: it compares the object's entity tag and size (one HEAD request) with those of
the object whose bytes were hashed. S3 gives a rewritten object a new tag, so an unchanged tag
means unchanged bytes; when no tag was recorded, or it differs, the object is read back.

Files are deleted after commit by ``conferences.delete_stored_files``, which retries a failed
delete with backoff; the database change never waits for or depends on the storage.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from dialogkonferanse.common.tasks import enqueue_on_commit
from dialogkonferanse.common.uploads import hashed_upload

from ..exceptions import ConferenceError
from ..models import Caption, Document, Recording
from ..services.storage import (
    StoredObjectMissing,
    delete_stored_files,
    hash_object,
    head_object,
    is_object_storage,
)
from ..services.uploads import read_duration

logger = logging.getLogger(__name__)

HASH_CHUNK_SIZE = 1024 * 1024

#: kind → (model, file field)
STORED_KINDS: dict[str, tuple[type[Model], str]] = {
    "recording": (Recording, "video_file"),
    "document": (Document, "file"),
}


def file_digest(file: File | Any) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks: the file is never held in memory."""
    digest = hashlib.sha256()
    size = 0
    chunks: Iterable[bytes]
    if hasattr(file, "chunks"):
        file.seek(0)
        chunks = file.chunks(HASH_CHUNK_SIZE)
    else:
        chunks = iter(lambda: file.read(HASH_CHUNK_SIZE), b"")
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    if hasattr(file, "seek"):
        file.seek(0)
    return digest.hexdigest(), size


def stored_file_digest(field_file: Any) -> tuple[str, int]:
    """SHA-256 and size of a file as it is in storage (read back in chunks)."""
    with field_file.storage.open(field_file.name, "rb") as handle:
        return file_digest(handle)


def new_file_digest(field_file: Any) -> tuple[str, int]:
    """SHA-256 and size of a file just assigned to an item: taken by the upload handlers while
    a form post arrived (``dialogkonferanse.common.uploads``), else read from the file."""
    if not getattr(field_file, "_committed", True):
        received = hashed_upload(field_file.file)
        if received is not None:
            return received
    return file_digest(field_file)


def kind_of(item: Model) -> str:
    return "recording" if isinstance(item, Recording) else "document"


def file_field_of(item: Model) -> Any:
    return getattr(item, STORED_KINDS[kind_of(item)][1])


def needs_stored_hash(item: Recording | Document) -> bool:
    """Whether the item's file is on object storage with its SHA-256 still to be read."""
    field_file = file_field_of(item)
    return bool(field_file) and not item.sha256 and is_object_storage(field_file.storage)


def hash_on_commit(item: Recording | Document) -> None:
    """Queue the SHA-256 of the item's stored file after commit (a lost task is swept)."""
    enqueue_on_commit(
        "conferences.hash_stored_file",
        kind=kind_of(item),
        item_id=item.pk,
        name=file_field_of(item).name,
        robust=True,
    )


def record_storage_etag(item: Recording | Document) -> None:
    """After a file that this server hashed was saved to object storage: keep its object's
    entity tag (one HEAD request), which the publish check compares."""
    field_file = file_field_of(item)
    if not field_file or not item.sha256 or not is_object_storage(field_file.storage):
        item.storage_etag = ""
        return
    item.storage_etag = head_object(storage=field_file.storage, name=field_file.name).etag


def hash_stored_file(*, kind: str, item_id: int, name: str) -> bool:
    """Read the item's stored object back (streamed) and record its SHA-256, size and entity
    tag, and a recording's duration when it has none. Does nothing when the item is gone, has
    another file now or was hashed already (idempotent). The read takes no lock; the row is
    locked only to write. Returns whether it recorded a hash. ``StoredObjectMissing`` if the
    object is gone."""
    model, field = STORED_KINDS[kind]
    item = model.objects.filter(pk=item_id).first()
    if item is None or getattr(item, field).name != name or item.sha256:
        return False
    wants_duration = kind == "recording" and item.duration is None
    digest = hash_object(
        storage=getattr(item, field).storage,
        name=name,
        read_duration=read_duration if wants_duration else None,
    )
    with transaction.atomic():
        locked = model.objects.select_for_update().filter(pk=item_id).first()
        if locked is None or getattr(locked, field).name != name or locked.sha256:
            return False
        locked.sha256, locked.size, locked.storage_etag = digest.sha256, digest.size, digest.etag
        fields = ["sha256", "size", "storage_etag", "updated_at"]
        if wants_duration and locked.duration is None and digest.duration is not None:
            locked.duration = digest.duration
            fields.append("duration")
        locked.save(update_fields=fields)
    return True


def hash_pending_files() -> int:
    """Periodic: queue the hash of every item on object storage whose SHA-256 is pending (its
    task was lost). Returns how many were queued."""
    queued = 0
    for kind, (model, field) in STORED_KINDS.items():
        pending = model.objects.filter(sha256="").exclude(**{field: ""}).values_list("pk", field)
        for item_id, name in pending:
            if is_object_storage(getattr(model(), field).storage):
                enqueue_on_commit(
                    "conferences.hash_stored_file", kind=kind, item_id=item_id, name=name
                )
                queued += 1
    return queued


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    sha256: str
    size: int
    storage_etag: str


def check_stored_file(item: Recording | Document) -> CheckedFile:
    """The SHA-256, size and entity tag of the item's file as stored now, for publishing.

    Local storage: read back in blocks. Object storage: refused while the hash is pending
    (``ConferenceError``); an object whose tag and size are those recorded is the one hashed
    (one HEAD request); otherwise it is read back. The caller compares the SHA-256 with its own.
    """
    field_file = file_field_of(item)
    storage = field_file.storage
    if not is_object_storage(storage):
        sha256, size = stored_file_digest(field_file)
        return CheckedFile(sha256=sha256, size=size, storage_etag="")
    if not item.sha256:
        raise ConferenceError(
            _(
                "The SHA-256 of “%(title)s” is still being computed from the stored file. "
                "Try again in a minute."
            )
            % {"title": item.title}
        )
    try:
        head = head_object(storage=storage, name=field_file.name)
        if item.storage_etag and head.etag == item.storage_etag and head.size == item.size:
            return CheckedFile(sha256=item.sha256, size=head.size, storage_etag=head.etag)
        digest = hash_object(storage=storage, name=field_file.name)
    except StoredObjectMissing:
        raise ConferenceError(
            _("The file of “%(title)s” is missing from storage. Upload it again.")
            % {"title": item.title}
        ) from None
    return CheckedFile(sha256=digest.sha256, size=digest.size, storage_etag=digest.etag)


def stored_file_names(item: Model) -> list[str]:
    """The names of the files an item keeps in storage (a recording's video and captions)."""
    if isinstance(item, Recording):
        names = [item.video_file.name] if item.video_file else []
        return names + [name for name in item.captions.values_list("file", flat=True) if name]
    field_file = getattr(item, "file", None)
    return [field_file.name] if field_file else []


def delete_files_on_commit(names: Iterable[str]) -> None:
    """Delete ``names`` from storage once the current transaction commits (nothing on
    rollback); a failed delete is retried by the task, the database change stands."""
    names = sorted({name for name in names if name})
    if names:
        enqueue_on_commit("conferences.delete_stored_files", names=names, robust=True)


def delete_unreferenced_files(*, names: Iterable[str]) -> int:
    """Delete from storage the files among ``names`` that no recording, caption or document
    refers to (a name in use again is kept). Raises when the storage fails."""
    names = set(names)
    used = (
        set(Recording.objects.filter(video_file__in=names).values_list("video_file", flat=True))
        | set(Caption.objects.filter(file__in=names).values_list("file", flat=True))
        | set(Document.objects.filter(Q(file__in=names)).values_list("file", flat=True))
    )
    return delete_stored_files(names=sorted(names - used))
