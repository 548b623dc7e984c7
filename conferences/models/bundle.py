"""The information package as one file (a ZIP) for the tender documents, cached per conference.

One row per conference (a unique constraint): requesting the file locks that row, so two
requests never start two builds. ``fingerprint`` is the SHA-256 of everything the ZIP would
contain; the file is served only while it matches what is published now, so a publication or a
withdrawal makes the next request build it again.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.common.db import TimeStampedModel

from ..choices import BundleStatus, BundleStep
from .conference import Conference


def bundle_upload_to(instance: PackageBundle, filename: str) -> str:
    # A folder of its own per build: the file keeps a readable name (the download name on
    # object storage) and a new build never overwrites the file someone is downloading.
    return f"packages/{instance.conference_id}/{uuid.uuid4().hex}/{filename}"


class PackageBundle(TimeStampedModel):
    conference = models.OneToOneField(
        Conference,
        on_delete=models.CASCADE,  # a cached copy of what is published, nothing of its own
        related_name="package_bundle",
        verbose_name=_("conference"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=BundleStatus.choices, default=BundleStatus.QUEUED
    )
    step = models.CharField(
        _("step"), max_length=20, choices=BundleStep.choices, default=BundleStep.WAITING
    )
    progress = models.PositiveSmallIntegerField(_("progress (per cent)"), default=0)
    fingerprint = models.CharField(_("fingerprint of the content"), max_length=64)
    # Identifies one run of the build: a redelivered or overtaken task does not finish another's.
    build_token = models.UUIDField(null=True, blank=True, editable=False)
    requested_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("ZIP file"), upload_to=bundle_upload_to, max_length=255, blank=True)
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("information package file")
        verbose_name_plural = _("information package files")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BundleStatus.values), name="packagebundle_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="packagebundle_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(status=BundleStatus.READY) | (~Q(file="") & ~Q(sha256="")),
                name="packagebundle_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conference} ({self.get_status_display()})"
