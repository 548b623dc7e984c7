"""Template filters shared by every app: times in Oslo with their UTC offset (DOMAIN.md rule 14)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def utc_offset(value: dt.datetime) -> str:
    """``UTC+01:00`` / ``UTC+02:00`` for an aware datetime already in local time."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


@register.filter
def oslo_datetime(value: dt.datetime | None) -> SafeString | str:
    """A ``<time>`` element: localised date and time in Oslo, with the offset shown."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{} ({})</time>',
        local.isoformat(),
        date_format(local, "DATETIME_FORMAT"),
        utc_offset(local),
    )


@register.filter
def oslo_date(value: dt.datetime | None) -> SafeString | str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>', local.date().isoformat(), date_format(local, "DATE_FORMAT")
    )


@register.filter
def oslo_time(value: dt.datetime | None) -> SafeString | str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), date_format(local, "TIME_FORMAT")
    )


@register.filter
def offset_label(value: dt.datetime | None) -> str:
    return utc_offset(timezone.localtime(value)) if value else ""
