"""Template filters shared by every app: times in Oslo with their UTC offset (DOMAIN.md rule 14).

The text comes from ``dialogkonferanse.common.timefmt``; these filters wrap it in ``<time>``
elements.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dialogkonferanse.common.timefmt import oslo_date_text, oslo_offset, oslo_text, oslo_time_text

register = template.Library()


@register.filter
def oslo_datetime(value: dt.datetime | None) -> SafeString | str:
    """A ``<time>`` element: localised date and time in Oslo, with the offset shown."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>', timezone.localtime(value).isoformat(), oslo_text(value)
    )


@register.filter
def oslo_date(value: dt.datetime | None) -> SafeString | str:
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezone.localtime(value).date().isoformat(),
        oslo_date_text(value),
    )


@register.filter
def oslo_time(value: dt.datetime | None) -> SafeString | str:
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezone.localtime(value).isoformat(),
        oslo_time_text(value),
    )


@register.filter
def offset_label(value: dt.datetime | None) -> str:
    return oslo_offset(value)
