"""The one email outbox for every app: each email is a row before it is a message.

A row is written in the same transaction as the change that causes it (``emails.queue_email``);
the send task only ever reads rows, so a rolled-back change sends nothing and a lost task loses
nothing (the sweep finds the row again).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import EmailStatus
from .common.db import TimeStampedModel
from .common.validators import validate_email_address


class OutboundEmail(TimeStampedModel):
    """One rendered email to one recipient, with its delivery state.

    ``idempotency_key`` is unique: the same cause queues the same email only once.
    ``sending_started_at`` doubles as the claim token of the worker that set ``sending``.
    """

    kind = models.CharField(_("kind"), max_length=64)
    to_email = models.EmailField(
        _("recipient"), max_length=254, validators=[validate_email_address]
    )
    reply_to = models.EmailField(
        _("reply to"), max_length=254, blank=True, validators=[validate_email_address]
    )
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    # The whole message as sent (built once when queued by Django's email classes, see
    # dialogkonferanse/outbox/message.py).
    mime = models.BinaryField(_("message as sent"), blank=True, default=b"", editable=False)
    # The message holds a secret (a personal link) that the subject and bodies kept as the
    # record show redacted: its MIME is dropped once it is sent or has failed, and it can
    # then never be sent again (a redacted copy would be useless to its recipient).
    holds_secret = models.BooleanField(_("held a personal link"), default=False, editable=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        default=timezone.now,
        help_text=_("A queued email is not sent before this time (backoff after an error)."),
    )
    sending_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    conference = models.ForeignKey(
        "conferences.Conference",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("conference"),
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("registration"),
    )

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="outboundemail_unique_idempotency_key"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="outboundemail_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=EmailStatus.SENT) | Q(sent_at__isnull=False),
                name="outboundemail_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=EmailStatus.SENDING) | Q(sending_started_at__isnull=False),
                name="outboundemail_sending_has_started_at",
            ),
            models.CheckConstraint(
                condition=Q(next_attempt_at__gte=F("queued_at")),
                name="outboundemail_next_attempt_after_queued",
            ),
        ]
        indexes = [
            # The claim and the sweep: queued rows due now, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status=EmailStatus.QUEUED),
                name="outboundemail_queued_due",
            ),
            # The sweep: rows stuck in sending.
            models.Index(
                fields=["sending_started_at"],
                condition=Q(status=EmailStatus.SENDING),
                name="outboundemail_sending_since",
            ),
            models.Index(fields=["status", "created_at"], name="outboundemail_status_created"),
            models.Index(fields=["created_at"], name="outboundemail_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.get_status_display()})"


class OutboundAttachment(models.Model):
    """A file sent with an outbound email (an ``.ics`` invite, say); bytes stored as-is."""

    email = models.ForeignKey(
        OutboundEmail,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("email"),
        db_index=False,  # the unique (email, position) index serves it
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("content type"), max_length=255)
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("email", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["email", "position"], name="outboundattachment_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class AuditEntry(models.Model):
    """One change made by staff or a moderator: who, when, what, before and after.

    Append-only: the admin only shows it, and on PostgreSQL a trigger (migration 0004) refuses
    every UPDATE and DELETE, except the scrubbing of personal data inside an anonymisation
    (``dialogkonferanse.personal_data``), which may rewrite ``object_repr``, ``changes`` and
    ``note`` only. References are kept as plain ids (no database foreign keys), so deleting a
    user or a draft conference never has to touch the log.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_repr = models.CharField(_("by (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind of object"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    conference = models.ForeignKey(
        "conferences.Conference",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conference"),
    )
    # The registration (person) the change concerns, if any: for access requests and scrubbing.
    registration_id = models.BigIntegerField(_("registration"), null=True, blank=True)
    changes = models.JSONField(
        _("changes"),
        default=dict,
        blank=True,
        help_text=_("Field: [before, after]. Secrets are shown only as changed."),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ("-at", "-pk")
        indexes = [
            models.Index(fields=["conference", "at"], name="auditentry_conf_at"),
            models.Index(fields=["content_type", "object_id"], name="auditentry_object"),
            models.Index(fields=["registration_id"], name="auditentry_registration"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"
