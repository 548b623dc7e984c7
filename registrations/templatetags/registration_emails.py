"""Plain-text date filters for emails: Oslo time with its UTC offset (DOMAIN.md rule 14)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from dialogkonferanse.templatetags.dialog import utc_offset

register = template.Library()


@register.filter
def oslo_text(value: dt.datetime | None) -> str:
    """``25. november 2026 kl. 09:00 (UTC+01:00)``, for subjects and text bodies."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{date_format(local, 'DATETIME_FORMAT')} ({utc_offset(local)})"


@register.filter
def oslo_time_text(value: dt.datetime | None) -> str:
    if not value:
        return ""
    return date_format(timezone.localtime(value), "TIME_FORMAT")


@register.filter
def oslo_span(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """Start and end in Oslo time, en dash between; the end date only when it differs."""
    if not start:
        return ""
    if not end:
        return oslo_text(start)
    same_day = timezone.localtime(start).date() == timezone.localtime(end).date()
    return f"{oslo_text(start)} \u2013 {oslo_time_text(end) if same_day else oslo_text(end)}"
