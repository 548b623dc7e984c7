"""Resumable uploads of recordings and documents in progress (``conferences.services.uploads``).

The bytes are appended to a temporary file in ``UPLOAD_TEMP_DIR`` chunk by chunk; the row
records how far the upload has come, who may write to it and, once complete, the SHA-256 of the
bytes and the duration read from a video. Saving the recording or document form attaches the
file and deletes the row.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.common.db import TimeStampedModel

from ..choices import UploadKind


class Upload(TimeStampedModel):
    """One file on its way in. ``offset`` is the number of bytes stored so far."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=UploadKind.choices)
    filename = models.CharField(_("file name"), max_length=255)
    length = models.BigIntegerField(_("size in bytes"))
    offset = models.BigIntegerField(_("bytes received"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    #: Set when the browser sends the parts straight to S3-compatible storage (presigned
    #: multipart upload); the parts collect under ``object_key`` in the bucket.
    multipart_id = models.CharField(_("multipart upload id"), max_length=1024, blank=True)

    class Meta:
        verbose_name = _("upload in progress")
        verbose_name_plural = _("uploads in progress")
        constraints = [
            models.CheckConstraint(condition=Q(length__gt=0), name="upload_length_positive"),
            models.CheckConstraint(
                condition=Q(offset__gte=0) & Q(offset__lte=F("length")),
                name="upload_offset_within_length",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=UploadKind.values), name="upload_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["updated_at"], name="upload_updated_at")]

    def __str__(self) -> str:
        return self.filename

    @property
    def path(self) -> Path:
        return Path(settings.UPLOAD_TEMP_DIR) / f"{self.id.hex}.part"

    @property
    def object_key(self) -> str:
        return f"uploads-in-progress/{self.id.hex}"

    @property
    def is_direct(self) -> bool:
        return bool(self.multipart_id)

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
