"""Recordings and documents sent by the browser straight to S3-compatible object storage
(``DJANGO_MEDIA_STORAGE=s3``) as a multipart upload with presigned part addresses.

The web server never carries the bytes on the way in: it creates the multipart upload, signs
part addresses for the owner, asks the storage which parts it holds (that is where a dropped
upload resumes) and completes the upload; the first bytes are judged as for chunked uploads.
Saving the form copies the object inside the storage to its final name. S3 keeps no SHA-256 of
a whole multipart object and no byte passed through this server, so the item is saved with its
SHA-256 pending and a task reads the object back once, streamed, outside the request
(``conferences.package.stored_files``), with a recording's duration.
"""

from __future__ import annotations

import io
import math
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Upload
from .uploads import (
    SNIFF_BYTES,
    UploadError,
    UploadRejected,
    content_is_allowed,
    get_upload,
    rejected_message,
    storage_client_and_bucket,
    validate_new_upload,
)

MAX_PARTS = 10_000
PRESIGNED_SECONDS = 3600
HEAD_BYTES = 4096


def direct_uploads_enabled() -> bool:
    return getattr(settings, "MEDIA_STORAGE", "local") == "s3"


def part_size(upload: Upload) -> int:
    """Bytes per part: the configured chunk, larger when the file would need over 10 000."""
    return max(settings.UPLOAD_CHUNK_BYTES, math.ceil(upload.length / MAX_PARTS))


def part_count(upload: Upload) -> int:
    return math.ceil(upload.length / part_size(upload))


def start_direct_upload(
    *, owner: AbstractBaseUser, kind: str, length: int, filename: str
) -> Upload:
    """Create the upload row and the storage's multipart upload (same limits as chunked)."""
    name = validate_new_upload(kind=kind, length=length, filename=filename)
    upload = Upload(owner=owner, kind=kind, length=length, filename=name)
    client, bucket = storage_client_and_bucket()
    created = client.create_multipart_upload(Bucket=bucket, Key=upload.object_key)
    upload.multipart_id = created["UploadId"]
    upload.save()
    return upload


def sign_parts(
    *, upload_id: Any, owner: AbstractBaseUser, kind: str, numbers: list[int]
) -> dict[int, str]:
    """Presigned PUT addresses for ``numbers`` (1-based) of ``owner``'s direct upload."""
    upload = get_upload(upload_id=upload_id, owner=owner, kind=kind)
    if not upload.is_direct or upload.is_complete:
        raise UploadError(_("This upload does not take more parts."))
    last = part_count(upload)
    if not numbers or any(not 1 <= n <= last for n in numbers) or len(numbers) > 100:
        raise UploadError(_("Ask for parts between 1 and %(last)s.") % {"last": last})
    client, bucket = storage_client_and_bucket()
    return {
        n: client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": bucket,
                "Key": upload.object_key,
                "UploadId": upload.multipart_id,
                "PartNumber": n,
            },
            ExpiresIn=PRESIGNED_SECONDS,
            HttpMethod="PUT",
        )
        for n in numbers
    }


def stored_parts(upload: Upload) -> list[dict[str, Any]]:
    """The parts the storage holds, as it reports them (``PartNumber``, ``Size``, ``ETag``)."""
    if not upload.is_direct or upload.is_complete:
        return []
    client, bucket = storage_client_and_bucket()
    parts: list[dict[str, Any]] = []
    marker = 0
    while True:
        page = client.list_parts(
            Bucket=bucket,
            Key=upload.object_key,
            UploadId=upload.multipart_id,
            PartNumberMarker=marker,
        )
        parts += [
            {"PartNumber": p["PartNumber"], "Size": p["Size"], "ETag": p["ETag"]}
            for p in page.get("Parts", [])
        ]
        if not page.get("IsTruncated"):
            return parts
        marker = page["NextPartNumberMarker"]


def complete_direct_upload(*, upload_id: Any, owner: AbstractBaseUser, kind: str) -> Upload:
    """Complete ``owner``'s direct upload once the storage holds every part in full and judge
    its first bytes (``UploadRejected`` deletes it). Reads nothing more back: the SHA-256 and
    duration are read from the stored object by a task once the item is saved."""
    upload = get_upload(upload_id=upload_id, owner=owner, kind=kind)
    if upload.is_complete:
        return upload
    if not upload.is_direct:
        raise UploadError(_("This upload does not take more parts."))
    size = part_size(upload)
    expected = {
        n: min(size, upload.length - (n - 1) * size) for n in range(1, part_count(upload) + 1)
    }
    parts = {p["PartNumber"]: p for p in stored_parts(upload)}
    if {n: p["Size"] for n, p in parts.items()} != expected:
        raise UploadError(_("Some parts of the file have not arrived yet."))
    client, bucket = storage_client_and_bucket()
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=upload.object_key,
        UploadId=upload.multipart_id,
        MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": parts[n]["ETag"]} for n in sorted(parts)]
        },
    )
    head = client.get_object(
        Bucket=bucket, Key=upload.object_key, Range=f"bytes=0-{SNIFF_BYTES - 1}"
    )
    if not content_is_allowed(upload.kind, head["Body"].read()):
        client.delete_object(Bucket=bucket, Key=upload.object_key)
        Upload.objects.filter(pk=upload.pk).delete()
        raise UploadRejected(rejected_message(upload.kind))
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        locked.offset = locked.length
        locked.completed_at = timezone.now()
        locked.save(update_fields=["offset", "completed_at", "updated_at"])
    return locked


class DirectUploadFile(File):
    """A completed direct upload as the form's validators see it: its name, size and first
    bytes (fetched with a range request). The admin replaces it with the stored object's name
    before saving, so nothing is uploaded again."""

    def __init__(self, upload: Upload) -> None:
        client, bucket = storage_client_and_bucket()
        head = client.get_object(
            Bucket=bucket, Key=upload.object_key, Range=f"bytes=0-{HEAD_BYTES - 1}"
        )["Body"].read()
        super().__init__(io.BytesIO(head), name=upload.filename)
        self.size = upload.length
        self.upload = upload


def place_direct_upload(*, upload: Upload, name: str) -> str:
    """Copy the completed object to ``name`` inside the storage (a multipart copy for large
    files: no byte passes through this server), delete the temporary object; returns the name."""
    client, bucket = storage_client_and_bucket()
    client.copy({"Bucket": bucket, "Key": upload.object_key}, bucket, name)
    client.delete_object(Bucket=bucket, Key=upload.object_key)
    return name
