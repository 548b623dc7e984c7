"""Calendar files for registrations, built with the shared ICS builder."""

from __future__ import annotations

from django.utils.translation import gettext as _

from conferences.ics import conference_ics, conference_uid
from dialogkonferanse.ics import IcsEvent, build_calendar

from .links import stream_page_url
from .models import Registration

# No charset parameter: Django adds one to text/* parts, and a second one breaks some clients.
INVITE_MIMETYPE = "text/calendar; method=REQUEST"


def plenary_invite(registration: Registration) -> bytes:
    """A METHOD:REQUEST invite for the plenary, stream page as URL and LOCATION, for the email.

    Same UID and SEQUENCE as the conference's public ``.ics``, so a calendar holding both keeps
    one event and a moved conference replaces it.
    """
    conference = registration.conference
    stream_url = stream_page_url(conference)
    description = "\n\n".join(
        part
        for part in (
            conference.summary,
            _("Watch the conference here: %(url)s") % {"url": stream_url},
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
        location=stream_url,
        url=stream_url,
        sequence=conference.calendar_sequence,
        organizer_email=conference.contact_email,
        organizer_name=conference.buyer.name,
        attendees=[(registration.email, registration.contact_name)],
        stamp=conference.updated_at,
    )
    return build_calendar([event], method="REQUEST")


def plenary_calendar(registration: Registration) -> bytes:
    """The ``.ics`` download on the personal page (METHOD:PUBLISH, stream page as location)."""
    return conference_ics(
        registration.conference, location_url=stream_page_url(registration.conference)
    )
