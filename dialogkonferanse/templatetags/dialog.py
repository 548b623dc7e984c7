"""Template filters and tags shared by every app: times in Oslo (DOMAIN.md rule 14).

The text comes from ``dialogkonferanse.common.timefmt``; these filters wrap it in ``<time>``
elements; ``static/dialogkonferanse/localtime.js`` adds the reader's own time to a full date and
time (``oslo_datetime``, ``oslo_span``) when the browser is in another zone; a clock time alone
(``oslo_time``, in lists under a date) is marked ``data-clock`` and left as it is.
``{% oslo_times_note … %}`` writes the page's one line about the offset.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dialogkonferanse.common import timefmt

register = template.Library()


@register.filter
def oslo_datetime(value: dt.datetime | None) -> SafeString | str:
    """``<time>``: weekday, date and time in Oslo (``lørdag 19. desember 2026 kl. 09.00``)."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezone.localtime(value).isoformat(),
        timefmt.oslo_text(value),
    )


@register.filter
def oslo_span(start: dt.datetime | None, end: dt.datetime | None) -> SafeString | str:
    """``<time>``: a span (``lørdag 19. desember 2026 kl. 09.00\u201312.00``), its end in
    ``data-end``."""
    if not start:
        return ""
    if not end:
        return oslo_datetime(start)
    return format_html(
        '<time datetime="{}" data-end="{}">{}</time>',
        timezone.localtime(start).isoformat(),
        timezone.localtime(end).isoformat(),
        timefmt.oslo_span(start, end),
    )


@register.filter
def oslo_date(value: dt.datetime | None) -> SafeString | str:
    """``<time>``: weekday and date (``lørdag 19. desember 2026``)."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezone_date(value).isoformat(),
        timefmt.oslo_date_text(value),
    )


@register.filter
def oslo_day(value: dt.datetime | None) -> SafeString | str:
    """``<time>``: weekday, day and month (``lørdag 19. desember``), a heading over a day."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezone_date(value).isoformat(),
        timefmt.oslo_day_text(value),
    )


@register.filter
def oslo_time(value: dt.datetime | None) -> SafeString | str:
    """``<time>``: the clock time alone (``09.00`` / ``09:00``)."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}" data-clock>{}</time>',
        timezone.localtime(value).isoformat(),
        timefmt.oslo_time_text(value),
    )


@register.filter
def offset_label(value: dt.datetime | None) -> str:
    """``UTC+1`` / ``UTC+2``: Oslo's offset at that time."""
    return timefmt.oslo_offset(value)


@register.simple_tag
def oslo_times_note(*values: object, attr: str | None = None) -> str:
    """The page's (or email's) one line about the offset of the times it shows:
    ``{% oslo_times_note conference.starts_at conference.ends_at slots %}``, or for a list of
    other objects ``{% oslo_times_note package.changelog attr="when" %}``."""
    return timefmt.times_note(*values, attr=attr)


@register.simple_tag
def duration_units() -> str:
    """JSON of the duration units' singular and plural forms, for a countdown's
    ``data-units``."""
    return timefmt.duration_units_json()


def timezone_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()
