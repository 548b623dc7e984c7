"""The plenary's calendar event, built in one place for the public ``.ics`` and the invite."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from dialogkonferanse.common.ics import IcsEvent, build_calendar

from .models import Conference


def conference_uid(conference: Conference) -> str:
    return f"conference-{conference.calendar_uid}@dialogkonferanse"


def plenary_event(
    conference: Conference,
    *,
    location_url: str,
    link_line: str,
    attendees: Iterable[tuple[str, str]] = (),
) -> IcsEvent:
    """The plenary as one VEVENT: same UID and SEQUENCE wherever it is sent or served, so a
    calendar holding both the public file and an invite keeps one event and a move replaces it.

    ``link_line`` is the description's line naming ``location_url`` (the conference page or the
    stream page); ``attendees`` are ``(email, name)`` pairs for an invite.
    """
    description = "\n\n".join(
        part
        for part in (
            conference.summary,
            link_line,
            _("Organised by %(buyer)s.") % {"buyer": conference.buyer.name},
        )
        if part
    )
    return IcsEvent(
        uid=conference_uid(conference),
        summary=conference.title,
        starts_at=conference.starts_at,
        ends_at=conference.ends_at,
        description=description,
        location=location_url,
        url=location_url,
        sequence=conference.calendar_sequence,
        organizer_email=conference.contact_email,
        organizer_name=conference.buyer.name,
        attendees=tuple(attendees),
        stamp=conference.updated_at,
    )


def conference_ics(conference: Conference, *, location_url: str = "") -> bytes:
    """An RFC 5545 calendar for the plenary; the UID stays the same for the conference's life."""
    page_url = settings.SITE_URL + conference.get_absolute_url()
    event = plenary_event(
        conference,
        location_url=location_url or page_url,
        link_line=_("Conference page: %(url)s") % {"url": page_url},
    )
    return build_calendar([event])
