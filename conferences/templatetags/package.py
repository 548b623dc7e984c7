"""Filters for the information package pages."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def timecode(value: int | float | dt.timedelta | None) -> str:
    """Seconds (or a duration) as ``M:SS`` or ``H:MM:SS``, as video players show time."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if isinstance(value, dt.timedelta) else value)
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def iso_duration(value: int | float | dt.timedelta | None) -> str:
    """An ISO 8601 duration (``PT1H2M3S``) for ``<time datetime>``."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if isinstance(value, dt.timedelta) else value)
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"
