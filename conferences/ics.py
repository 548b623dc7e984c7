"""The plenary's calendar file, built with the shared ICS builder."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from dialogkonferanse.ics import IcsEvent, build_calendar

from .models import Conference


def conference_uid(conference: Conference) -> str:
    return f"conference-{conference.calendar_uid}@dialogkonferanse"


def conference_ics(conference: Conference, *, location_url: str = "") -> bytes:
    """An RFC 5545 calendar for the plenary; the UID stays the same for the conference's life."""
    page_url = settings.SITE_URL + conference.get_absolute_url()
    location = location_url or page_url
    description = "\n\n".join(
        part
        for part in (
            conference.summary,
            _("Conference page: %(url)s") % {"url": page_url},
            _("Organised by %(buyer)s.") % {"buyer": conference.buyer.name},
        )
        if part
    )
    event = IcsEvent(
        uid=conference_uid(conference),
        summary=conference.title,
        starts_at=conference.starts_at,
        ends_at=conference.ends_at,
        description=description,
        location=location,
        url=location,
        sequence=conference.calendar_sequence,
        organizer_email=conference.contact_email,
        organizer_name=conference.buyer.name,
        stamp=conference.updated_at,
    )
    return build_calendar([event])
