"""Questions from viewers, answers published to all, votes, attendance and stored live events."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from conferences.models import Conference
from dialogkonferanse.common.db import TimeStampedModel
from dialogkonferanse.common.translations import unoffered_language_errors
from registrations.models import Registration

from .choices import PUBLIC_STATUSES, Channel, Handling, QuestionStatus


class Question(TimeStampedModel):
    """A viewer's question. Plain text; the asker is never shown to other suppliers unless
    ``show_company`` is set (then only the organisation name). ``version`` grows with every
    moderator action (optimistic concurrency)."""

    conference = models.ForeignKey(
        Conference, on_delete=models.PROTECT, related_name="questions", verbose_name=_("conference")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("asked by"),
    )
    text = models.TextField(_("question"))
    original_text = models.TextField(_("wording as asked"), editable=False)
    show_company = models.BooleanField(_("show the company name"), default=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=QuestionStatus.choices,
        default=QuestionStatus.AWAITING,
    )
    rejection_reason = models.TextField(_("reason for not publishing"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_questions",
        verbose_name=_("merged into"),
    )
    topics = models.CharField(
        _("topics"), max_length=200, blank=True, help_text=_("Comma-separated topic tags.")
    )
    pinned = models.BooleanField(_("being answered now"), default=False)
    answered_live = models.BooleanField(_("answered live"), default=False)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last moderated by"),
    )
    # Who last changed the wording (only set when a moderator actually edits the text).
    text_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wording edited by"),
    )
    # The ask form's token (see ``services.ask_question``): a form sent twice stores one question.
    request_token = models.UUIDField(null=True, blank=True, editable=False)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    # The count changed since viewers were last sent it (see ``VoteBroadcast``).
    votes_flush_pending = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ("created_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QuestionStatus.values), name="question_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=QuestionStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=QuestionStatus.MERGED) & Q(merged_into__isnull=True)),
                name="question_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(status=QuestionStatus.REJECTED) | ~Q(rejection_reason=""),
                name="question_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="question_not_merged_into_itself"
            ),
            models.UniqueConstraint(
                fields=["registration", "request_token"], name="question_unique_request_token"
            ),
        ]
        indexes = [
            models.Index(
                fields=["conference", "status", "created_at"], name="question_conf_status"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def text_edited(self) -> bool:
        """True when a moderator changed the wording (published text differs from the asked)."""
        return self.text != self.original_text

    @property
    def topic_list(self) -> list[str]:
        return [t.strip() for t in self.topics.split(",") if t.strip()]

    @property
    def handling(self) -> Handling:
        if self.status == QuestionStatus.REJECTED:
            return Handling.NOT_PUBLISHED
        if self.status == QuestionStatus.MERGED:
            return Handling.MERGED
        if self.answered_live:
            return Handling.ANSWERED_LIVE
        if getattr(self, "answer", None) is not None:
            return Handling.ANSWERED_IN_WRITING
        return Handling.NOT_ANSWERED

    @property
    def public_author(self) -> str:
        """What other suppliers may see of the asker: the company if chosen, else nothing."""
        return self.registration.organisation_name if self.show_company else ""


class Answer(TimeStampedModel):
    """The buyer's written answer to a question, published to every supplier."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="answer", verbose_name=_("question")
    )
    text = models.TextField(_("answer"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    published_at = models.DateTimeField(_("published at"))
    digest = models.ForeignKey(
        "AnswerDigest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("sent in digest"),
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ("published_at", "pk")

    def __str__(self) -> str:
        return self.text[:60]

    def clean(self) -> None:
        question = getattr(self, "question", None)
        if question is not None:
            errors = unoffered_language_errors(self, question.conference.languages_offered)
            if errors:
                raise ValidationError(errors)


class AnswerDigest(TimeStampedModel):
    """One emailing of written answers to every registrant (after the event)."""

    conference = models.ForeignKey(
        Conference, on_delete=models.PROTECT, related_name="answer_digests"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("answer digest")
        verbose_name_plural = _("answer digests")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.conference} #{self.pk}"


class Vote(models.Model):
    """One upvote per registration per question; the unique constraint is the last guard."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="question_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "registration"], name="vote_one_per_registration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.question_id}"


class Attendance(models.Model):
    """A registration opened the stream page while the conference was live."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="attendances")
    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="attendance"
    )
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    visits = models.PositiveIntegerField(_("visits"), default=1)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ("first_seen_at", "pk")

    def __str__(self) -> str:
        return f"{self.registration} @ {self.conference}"


class LiveEvent(models.Model):
    """One live update, stored so a reconnecting client can replay it by id (the SSE id).

    ``frame_data`` is the JSON rendered once when the event is written; every client gets the
    same bytes. Ids grow in commit order per conference, and ``previous_id`` chains the events
    of one conference and channel (see ``live.record_event``).
    """

    id = models.BigAutoField(primary_key=True)
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="live_events")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    frame_data = models.TextField(editable=False)
    # The id of the event before this one on the same conference and channel (null: first).
    # A client holding exactly that id can take this frame live; otherwise it has a gap and
    # reads the table first. Set under the per-conference advisory lock.
    previous_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="liveevent_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["conference", "channel", "id"], name="liveevent_replay"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.channel} {self.kind}"


class VoteBroadcast(models.Model):
    """Coalescing of vote-count events, per conference: when viewers were last sent counts and
    whether a delayed flush is due (see ``services.vote_question``).

    Per conference rather than per question: each event goes to every viewer, so with votes
    spread over many questions, one event per question per window would multiply the fan-out
    by the number of questions. One event per window carries every changed count.
    """

    conference = models.OneToOneField(
        Conference, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    flush_pending = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("vote broadcast")
        verbose_name_plural = _("vote broadcasts")

    def __str__(self) -> str:
        return f"{self.conference_id}"
