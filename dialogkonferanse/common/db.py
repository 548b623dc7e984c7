"""Abstract model bases and model fields shared by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """``created_at``/``updated_at`` for every table, set by the database layer."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, editable=False)

    class Meta:
        abstract = True


class HttpsURLField(models.URLField):
    """A URL field whose form field assumes ``https://`` when the scheme is left out."""

    def formfield(self, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)
