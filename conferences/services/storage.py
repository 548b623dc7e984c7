"""Recordings, captions and documents on S3-compatible object storage
(``DJANGO_MEDIA_STORAGE=s3``, django-storages' ``S3Storage``): signed addresses for playback,
ranged reads for the proxied stream, hashing an object read back in blocks, and deleting the
files of removed items.

Nothing here holds a file in memory: reads are streamed in blocks of ``READ_BLOCK`` bytes, and
uploads go through django-storages, which hands the file to boto3's managed transfer (a
multipart upload of ``multipart_chunksize`` parts for files above ``multipart_threshold``, at
most ``max_in_memory_upload_chunks`` parts in memory at once; see ``dialogkonferanse.settings``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, default_storage

logger = logging.getLogger(__name__)

READ_BLOCK = 1024 * 1024


class StoredObjectMissing(Exception):
    """The storage has no object under that name."""


def is_object_storage(storage: Storage | None = None) -> bool:
    """Whether ``storage`` (default: the media storage) is S3-compatible object storage."""
    storage = storage if storage is not None else default_storage
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def client_and_bucket(storage: Storage | None = None) -> tuple[Any, str]:
    """The boto3 S3 client and the bucket of ``storage`` (default: the media storage)."""
    storage = storage if storage is not None else default_storage
    return storage.connection.meta.client, storage.bucket_name  # type: ignore[attr-defined]


def proxy_media() -> bool:
    """``AWS_S3_PROXY_MEDIA``: stream objects through the app instead of signed addresses."""
    return bool(getattr(settings, "AWS_S3_PROXY_MEDIA", False))


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 404 or response.get("Error", {}).get("Code") in ("404", "NoSuchKey")


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str


def head_object(*, storage: Storage, name: str) -> ObjectHead:
    """The object's size and entity tag (one HEAD request); ``StoredObjectMissing`` if absent."""
    client, bucket = client_and_bucket(storage)
    try:
        head = client.head_object(Bucket=bucket, Key=name)
    except Exception as exc:
        if _not_found(exc):
            raise StoredObjectMissing(name) from exc
        raise
    return ObjectHead(size=int(head["ContentLength"]), etag=head["ETag"])


def signed_url(
    *,
    storage: Storage,
    name: str,
    content_type: str,
    content_disposition: str = "",
    cache_control: str = "",
) -> str:
    """A signed GET address of the object, valid ``AWS_QUERYSTRING_EXPIRE`` seconds, whose
    answer carries ``content_type`` (and the disposition and caching given) whatever metadata
    the object has. The storage answers range requests on it itself."""
    client, bucket = client_and_bucket(storage)
    params = {"Bucket": bucket, "Key": name, "ResponseContentType": content_type}
    if content_disposition:
        params["ResponseContentDisposition"] = content_disposition
    if cache_control:
        params["ResponseCacheControl"] = cache_control
    return client.generate_presigned_url(
        "get_object",
        Params=params,
        ExpiresIn=int(getattr(storage, "querystring_expire", 3600)),
        HttpMethod="GET",
    )


def read_object(
    *, storage: Storage, name: str, first: int | None = None, last: int | None = None
) -> Iterator[bytes]:
    """The object's bytes ``first`` to ``last`` (inclusive; the whole object when ``None``), as a
    generator of blocks of at most ``READ_BLOCK`` bytes: only the range is requested, and the
    body is read from the connection block by block."""
    client, bucket = client_and_bucket(storage)
    params = {"Bucket": bucket, "Key": name}
    if first is not None:
        params["Range"] = f"bytes={first}-{'' if last is None else last}"
    body = client.get_object(**params)["Body"]
    try:
        yield from body.iter_chunks(READ_BLOCK)
    finally:
        body.close()


@dataclass(frozen=True)
class ObjectDigest:
    sha256: str
    size: int
    etag: str
    duration: dt.timedelta | None


def hash_object(*, storage: Storage, name: str, read_duration: Any = None) -> ObjectDigest:
    """SHA-256, size and entity tag of the object as read back (streamed, in blocks; one GET,
    so the tag is that of the bytes hashed). With ``read_duration`` (a function of a local
    path) the bytes also go to a temporary file in ``UPLOAD_TEMP_DIR`` it reads, then deleted."""
    client, bucket = client_and_bucket(storage)
    try:
        answer = client.get_object(Bucket=bucket, Key=name)
    except Exception as exc:
        if _not_found(exc):
            raise StoredObjectMissing(name) from exc
        raise
    body = answer["Body"]
    digest = hashlib.sha256()
    size = 0
    duration = None
    os.makedirs(settings.UPLOAD_TEMP_DIR, exist_ok=True)
    try:
        with tempfile.NamedTemporaryFile(dir=settings.UPLOAD_TEMP_DIR, suffix=".probe") as copy:
            for block in body.iter_chunks(READ_BLOCK):
                digest.update(block)
                size += len(block)
                if read_duration is not None:
                    copy.write(block)
            if read_duration is not None:
                copy.flush()
                duration = read_duration(copy.name)
    finally:
        body.close()
    return ObjectDigest(
        sha256=digest.hexdigest(), size=size, etag=answer["ETag"], duration=duration
    )


def delete_stored_files(*, names: Iterable[str], storage: Storage | None = None) -> int:
    """Delete the files ``names`` from ``storage`` (default: the media storage); a name already
    gone is fine. Raises on any other failure (the task retries). Returns how many were asked."""
    storage = storage if storage is not None else default_storage
    count = 0
    for name in names:
        if name:
            storage.delete(name)
            count += 1
    return count
