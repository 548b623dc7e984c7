"""The information package's transcripts cut into timed passages, so a search hit can link to
its moment in the video. Derived data: ``conferences.package.transcripts.index_transcript`` rebuilds
a recording's passages when it is published (a published recording is read-only)."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import CaptionLanguage
from .package import Recording


class TranscriptSegment(models.Model):
    """One line of a recording's transcript (or caption cue) in one language, with the second
    of the video it starts at when known."""

    recording = models.ForeignKey(
        Recording,
        on_delete=models.CASCADE,
        related_name="transcript_segments",
        verbose_name=_("recording"),
    )
    language = models.CharField(_("language"), max_length=5, choices=CaptionLanguage.choices)
    position = models.PositiveIntegerField(_("position"))
    start_seconds = models.PositiveIntegerField(_("starts at (seconds)"), null=True, blank=True)
    text = models.TextField(_("text"))
    # ``text`` as parsed by its language's text search configuration, written with the row
    # (PostgreSQL only), so ranking thousands of hits does not parse them again.
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("transcript passage")
        verbose_name_plural = _("transcript passages")
        ordering = ("recording", "language", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "language", "position"], name="segment_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]
