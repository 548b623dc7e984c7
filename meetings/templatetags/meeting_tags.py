"""Template helpers of the meetings app: plain-text Oslo times for emails, and the meeting
box on the supplier's personal page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from dialogkonferanse.templatetags.dialog import utc_offset

register = template.Library()


@register.filter
def meeting_span_text(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """``25. november 2026 kl. 13:00 - 13:30 (UTC+01:00)`` for subjects and text bodies."""
    if not start:
        return ""
    local_start = timezone.localtime(start)
    text = date_format(local_start, "DATETIME_FORMAT")
    if end:
        text += " \u2013 " + date_format(timezone.localtime(end), "TIME_FORMAT")
    return f"{text} ({utc_offset(local_start)})"


@register.inclusion_tag("meetings/_personal_status_box.html")
def personal_meeting_status(registration: Any) -> dict[str, Any]:
    """The one-to-one box for the personal page: the meeting, a waiting place, or a link."""
    from ..selectors import (
        get_meeting_settings,
        meeting_for_registration,
        waiting_entry_for_registration,
    )

    conference = registration.conference
    if not conference.offers_one_to_one or not registration.wants_one_to_one:
        return {"show": False}
    return {
        "show": True,
        "conference": conference,
        "meeting_settings": get_meeting_settings(conference_id=conference.pk),
        "meeting": meeting_for_registration(registration_id=registration.pk),
        "waiting": waiting_entry_for_registration(registration_id=registration.pk),
    }
