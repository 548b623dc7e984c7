"""The conference's public information package (DOMAIN.md rule 2): recordings with captions and
chapters, presentation documents, written clarifications, and the changelog of what was
published when. Publishing goes through ``conferences.services.package``.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.common.db import HttpsURLField, TimeStampedModel
from dialogkonferanse.common.translations import unoffered_language_errors

from ..choices import (
    RECORDING_PROVIDERS,
    CaptionLanguage,
    PackageAction,
    PackageItemKind,
    StreamProvider,
)
from ..validators import validate_pdf, validate_video_file, validate_webvtt
from .conference import Conference, https_only

VIDEO_CONTENT_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}


def _upload_path(folder: str, conference_id: int | None, filename: str, keep_ext: str) -> str:
    # An unguessable name: nothing unpublished can be found by trying addresses, and
    # the original file name (which may be personal) is not kept in storage.
    ext = posixpath.splitext(filename)[1].lower()
    ext = ext if ext in keep_ext.split() else ""
    return f"{folder}/{conference_id}/{uuid.uuid4().hex}{ext}"


def recording_upload_to(instance: Recording, filename: str) -> str:
    return _upload_path("recordings", instance.conference_id, filename, ".mp4 .webm")


def caption_upload_to(instance: Caption, filename: str) -> str:
    conference_id = instance.recording.conference_id if instance.recording_id else None
    return _upload_path("captions", conference_id, filename, ".vtt")


def document_upload_to(instance: Document, filename: str) -> str:
    return _upload_path("documents", instance.conference_id, filename, ".pdf")


class PublishableQuerySet(models.QuerySet):
    def published(self) -> PublishableQuerySet:
        return self.filter(published_at__isnull=False)


class Publishable(TimeStampedModel):
    """Set only by the publish services: when the item joined the package, and by whom."""

    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def clean(self) -> None:
        conference = getattr(self, "conference", None)
        if conference is not None:
            errors = unoffered_language_errors(self, conference.languages_offered)
            if errors:
                raise ValidationError(errors)


class Recording(Publishable):
    """A recording of the conference: an uploaded MP4/WebM file or an external player address.

    For uploaded files the SHA-256 and size of the stored bytes are recorded when the file is
    saved, and the file cannot change while the recording is published: with the publication
    time, that is the evidence of what the buyer told the market.
    """

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="recordings",
        verbose_name=_("conference"),
    )
    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Recordings are listed by this number.")
    )
    video_file = models.FileField(
        _("video file"),
        upload_to=recording_upload_to,
        max_length=255,
        blank=True,
        validators=[FileExtensionValidator(["mp4", "webm"]), validate_video_file],
        help_text=_("MP4 or WebM. Leave empty when the recording is at an external address."),
    )
    external_url = HttpsURLField(
        _("external video address"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_("YouTube, Vimeo or HLS address; the player loads only when the viewer clicks."),
    )
    provider = models.CharField(
        _("external provider"),
        max_length=20,
        choices=StreamProvider.choices,
        blank=True,
    )
    duration = models.DurationField(
        _("duration"), null=True, blank=True, help_text=_("For example 1:32:10.")
    )
    recorded_started_at = models.DateTimeField(
        _("recording started at"),
        null=True,
        blank=True,
        help_text=_(
            "Wall-clock time at the start of the recording; links questions answered live to "
            "the moment in the video."
        ),
    )
    transcript = models.TextField(_("transcript"), blank=True)
    content_type = models.CharField(_("content type"), max_length=40, blank=True, editable=False)
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    #: Object storage only: the object's entity tag when its bytes were hashed. Publishing
    #: compares it with the stored object's (a HEAD request) instead of reading it all back.
    storage_etag = models.CharField(
        _("storage entity tag"), max_length=200, blank=True, editable=False
    )
    caption_override_reason = models.TextField(
        _("reason for publishing without captions"), blank=True, editable=False
    )

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ("conference", "order", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(Q(video_file="") & ~Q(external_url=""))
                | (~Q(video_file="") & Q(external_url="")),
                name="recording_one_source",
            ),
            models.CheckConstraint(
                condition=Q(external_url="") | ~Q(provider=""),
                name="recording_external_has_provider",
            ),
            models.CheckConstraint(
                condition=Q(video_file="") | Q(published_at__isnull=True) | ~Q(sha256=""),
                name="recording_published_file_has_hash",
            ),
        ]
        indexes = [
            models.Index(fields=["conference", "published_at"], name="recording_conf_published"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if bool(self.video_file) == bool(self.external_url):
            raise ValidationError(
                _("Upload a video file or enter an external video address (one of the two)."),
                code="one_source",
            )
        if self.external_url and self.provider not in RECORDING_PROVIDERS:
            raise ValidationError(
                {"provider": _("Choose YouTube, Vimeo, HLS or other for an external address.")},
                code="provider",
            )

    @property
    def is_uploaded(self) -> bool:
        return bool(self.video_file)

    @property
    def duration_seconds(self) -> int | None:
        return int(self.duration.total_seconds()) if self.duration is not None else None

    def offset_of(self, moment: dt.datetime | None) -> int | None:
        """Seconds into this recording at wall-clock ``moment``, or ``None`` if outside it."""
        if moment is None or self.recorded_started_at is None or self.duration is None:
            return None
        offset = (moment - self.recorded_started_at).total_seconds()
        if 0 <= offset <= self.duration.total_seconds():
            return int(offset)
        return None

    def get_video_url(self) -> str:
        return reverse(
            "conferences:recording_video",
            kwargs={"slug": self.conference.slug, "pk": self.pk},
        )


class Caption(TimeStampedModel):
    """A WebVTT caption track of a recording in one language (DOMAIN.md rule 10)."""

    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="captions", verbose_name=_("recording")
    )
    language = models.CharField(_("language"), max_length=5, choices=CaptionLanguage.choices)
    file = models.FileField(
        _("WebVTT file"),
        upload_to=caption_upload_to,
        max_length=255,
        validators=[FileExtensionValidator(["vtt"]), validate_webvtt],
    )

    class Meta:
        verbose_name = _("caption track")
        verbose_name_plural = _("caption tracks")
        ordering = ("recording", "language")
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "language"], name="caption_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recording} ({self.get_language_display()})"


class Chapter(models.Model):
    """A point in a recording with a title; the public player seeks to it."""

    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="chapters", verbose_name=_("recording")
    )
    start = models.DurationField(_("starts at"), help_text=_("Time in the video, e.g. 0:12:30."))
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ("recording", "start", "pk")
        constraints = [
            models.UniqueConstraint(fields=["recording", "start"], name="chapter_unique_start"),
            models.CheckConstraint(
                condition=Q(start__gte=dt.timedelta(0)), name="chapter_start_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        recording = getattr(self, "recording", None)
        if recording is not None and recording.conference_id:
            errors = unoffered_language_errors(self, recording.conference.languages_offered)
            if errors:
                raise ValidationError(errors)

    @property
    def start_seconds(self) -> int:
        return int(self.start.total_seconds())


class Document(Publishable):
    """A presentation document (PDF) shown or referred to in the conference."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("conference"),
    )
    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    file = models.FileField(
        _("PDF file"),
        upload_to=document_upload_to,
        max_length=255,
        validators=[FileExtensionValidator(["pdf"]), validate_pdf],
    )
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    #: Object storage only: the object's entity tag when its bytes were hashed. Publishing
    #: compares it with the stored object's (a HEAD request) instead of reading it all back.
    storage_etag = models.CharField(
        _("storage entity tag"), max_length=200, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("presentation document")
        verbose_name_plural = _("presentation documents")
        ordering = ("conference", "order", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | ~Q(sha256=""),
                name="document_published_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_file_url(self) -> str:
        return reverse(
            "conferences:document_file", kwargs={"slug": self.conference.slug, "pk": self.pk}
        )


class Clarification(Publishable):
    """A written clarification to every supplier (there is no private answer: rule 2)."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="clarifications",
        verbose_name=_("conference"),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("clarification"))

    class Meta:
        verbose_name = _("written clarification")
        verbose_name_plural = _("written clarifications")
        ordering = ("conference", "published_at", "pk")

    def __str__(self) -> str:
        return self.title


class PackageChange(models.Model):
    """Append-only changelog of the information package: what was published or withdrawn,
    when, and by whom (the public sees what and when)."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="package_changes",
        verbose_name=_("conference"),
    )
    action = models.CharField(_("action"), max_length=20, choices=PackageAction.choices)
    item_kind = models.CharField(_("item"), max_length=20, choices=PackageItemKind.choices)
    item_id = models.PositiveBigIntegerField(_("item id"))
    title = models.CharField(_("title"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    changed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("information package change")
        verbose_name_plural = _("information package changelog")
        ordering = ("changed_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=PackageAction.values), name="packagechange_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(item_kind__in=PackageItemKind.values),
                name="packagechange_item_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.title}"
