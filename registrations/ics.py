"""Calendar files for registrations: the plenary event from ``conferences.ics``."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from conferences.ics import conference_ics, plenary_event
from dialogkonferanse.common.ics import build_calendar

from .links import stream_page_url
from .models import Registration

# No charset parameter: Django adds one to text/* parts, and a second one breaks some clients.
INVITE_MIMETYPE = "text/calendar; method=REQUEST"


def plenary_invite(registration: Registration, *, stream_url: str = "") -> bytes:
    """A METHOD:REQUEST invite for the plenary, for the email: ``stream_url`` (the email's
    personal link to the stream page, so the event opens the stream on any device; the plain
    stream page without it) as URL, LOCATION and in the description.

    Same UID and SEQUENCE as the conference's public ``.ics``, so a calendar holding both keeps
    one event and a moved conference replaces it. In the supplier's language, as the email is
    (whatever the language of the page that caused it).
    """
    conference = registration.conference
    stream_url = stream_url or stream_page_url(conference)
    with translation.override(registration.language or settings.LANGUAGE_CODE):
        event = plenary_event(
            conference,
            location_url=stream_url,
            link_line=_("Watch the conference here: %(url)s") % {"url": stream_url},
            attendees=[(registration.email, registration.contact_name)],
        )
        return build_calendar([event], method="REQUEST")


def plenary_calendar(registration: Registration) -> bytes:
    """The ``.ics`` download on the personal page (METHOD:PUBLISH, stream page as location)."""
    return conference_ics(
        registration.conference, location_url=stream_page_url(registration.conference)
    )
