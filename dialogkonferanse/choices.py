"""Choices of the project-wide machinery (the email outbox)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    """Lifecycle of an outbox row: queued → sending → sent, or back to queued, or failed."""

    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class AuditAction(models.TextChoices):
    """The common verbs of the audit log; services may record other, more specific verbs."""

    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    TRANSITION = "transition", _("status changed")
    ACTION = "action", _("admin action")
    ANONYMISE = "anonymise", _("anonymised")
    EXPORT = "export", _("personal data exported")
