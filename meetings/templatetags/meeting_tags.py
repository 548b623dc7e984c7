"""Template helpers of the meetings app: plain-text Oslo times for emails, and the meeting
box on the supplier's personal page."""

from __future__ import annotations

from typing import Any

from django import template

from dialogkonferanse.common.timefmt import oslo_short_span, times_note

register = template.Library()


# ``lørdag 19. desember 2026 kl. 13.00–13.30`` for subjects and text bodies.
register.filter("meeting_span_text", oslo_short_span)
# The email's one line about the offset: ``Alle tider er norsk tid (UTC+1).``
register.simple_tag(times_note, name="oslo_times_note")


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
