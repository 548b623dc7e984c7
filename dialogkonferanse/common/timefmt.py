"""Oslo time as the product writes it, in one place (DOMAIN.md rule 14).

Times are stored in UTC and shown in ``TIME_ZONE`` (Europe/Oslo) with the UTC offset beside
them, so a reader abroad or around a daylight-saving change knows which hour is meant. Template
filters, email subjects, the admin, exports and services' messages all format through here.
Imports only Django, so every layer may use it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format

EN_DASH = "\u2013"


def utc_offset(value: dt.datetime) -> str:
    """``UTC+01:00`` / ``UTC+02:00`` for an aware datetime already in local time."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def oslo_text(value: dt.datetime | None, format_name: str = "DATETIME_FORMAT") -> str:
    """``25. november 2026 kl. 09:00 (UTC+01:00)``; ``""`` for no value."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{date_format(local, format_name)} ({utc_offset(local)})"


def oslo_date_text(value: dt.datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """The date in Oslo (``25. november 2026``), no time and no offset."""
    if not value:
        return ""
    return date_format(timezone.localtime(value), format_name)


def oslo_offset(value: dt.datetime | None) -> str:
    """The offset Oslo has at ``value`` (``UTC+01:00`` in winter, ``UTC+02:00`` in summer)."""
    return utc_offset(timezone.localtime(value)) if value else ""


def oslo_time_text(value: dt.datetime | None) -> str:
    """The clock time alone (``09:00``), for the end of a span on the same day."""
    if not value:
        return ""
    return date_format(timezone.localtime(value), "TIME_FORMAT")


def oslo_span(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """Start and end with their offsets, en dash between; the end date only when it differs."""
    if not start:
        return ""
    if not end:
        return oslo_text(start)
    same_day = timezone.localtime(start).date() == timezone.localtime(end).date()
    return f"{oslo_text(start)} {EN_DASH} {oslo_time_text(end) if same_day else oslo_text(end)}"


def oslo_short_span(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """A slot within one day: start date and time, en dash, end time, then the one offset
    (``25. november 2026 kl. 13:00 \u2013 13:30 (UTC+01:00)``)."""
    if not start:
        return ""
    local_start = timezone.localtime(start)
    text = date_format(local_start, "DATETIME_FORMAT")
    if end:
        text += f" {EN_DASH} {oslo_time_text(end)}"
    return f"{text} ({utc_offset(local_start)})"


def oslo_iso(value: dt.datetime | None, timespec: str = "minutes") -> str:
    """ISO 8601 in Oslo time with its offset, for spreadsheets; ``""`` for no value."""
    return timezone.localtime(value).isoformat(timespec=timespec) if value else ""
