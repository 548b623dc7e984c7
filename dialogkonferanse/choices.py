"""Choices of the project-wide machinery (the email outbox)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    """Lifecycle of an outbox row: queued → sending → sent, or back to queued, or failed."""

    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
