"""The plenary invite and the public ``.ics`` are one event: a calendar holding both keeps one."""

from __future__ import annotations

import pytest
from django.conf import settings
from icalendar import Calendar

from conferences.ics import conference_ics, conference_uid
from registrations.ics import plenary_calendar, plenary_invite
from registrations.links import stream_page_url
from tests.factories import make_conference, make_registration

pytestmark = pytest.mark.django_db

SHARED = ("UID", "SEQUENCE", "SUMMARY", "DTSTART", "DTEND", "ORGANIZER")


def _event(data: bytes):
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    return event


def test_plenary_invite_is_the_public_event_with_stream_link_and_attendee():
    conference = make_conference(title="Dialog om ferjer", summary="Ferjer for 2030.")
    registration = make_registration(conference=conference, email="kari@example.no")
    page_url = settings.SITE_URL + conference.get_absolute_url()
    stream_url = stream_page_url(conference)

    public = _event(conference_ics(conference))
    invite_calendar = Calendar.from_ical(plenary_invite(registration))
    (invite,) = invite_calendar.walk("VEVENT")

    assert str(invite_calendar["METHOD"]) == "REQUEST"
    assert [invite[key].to_ical() for key in SHARED] == [public[key].to_ical() for key in SHARED]
    assert str(invite["UID"]) == conference_uid(conference)
    assert (str(public["LOCATION"]), str(invite["LOCATION"])) == (page_url, stream_url)
    assert str(invite["ATTENDEE"]) == "mailto:kari@example.no"
    assert "ATTENDEE" not in public
    assert str(invite["DESCRIPTION"]).split("\n\n")[0] == "Ferjer for 2030."


def test_plenary_calendar_download_is_published_with_the_stream_page_as_location():
    conference = make_conference()
    registration = make_registration(conference=conference)

    calendar = Calendar.from_ical(plenary_calendar(registration))
    (event,) = calendar.walk("VEVENT")

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["LOCATION"]) == str(event["URL"]) == stream_page_url(conference)
    assert str(event["UID"]) == conference_uid(conference)


def test_plenary_invite_is_in_the_suppliers_language_whatever_the_pages():
    """The invite goes with the email, in the language the supplier chose for emails, even when
    the registration was sent from the English page (DOMAIN.md: emails in the recipient's
    language)."""
    from django.utils import translation

    conference = make_conference(title_nb="Dialog om ferjer", title_en="Dialogue on ferries")
    registration = make_registration(conference=conference, language="nb")

    with translation.override("en"):
        invite = _event(plenary_invite(registration, stream_url="https://x.example/s"))

    assert str(invite["SUMMARY"]) == "Dialog om ferjer"
    assert "Se konferansen her: https://x.example/s" in str(invite["DESCRIPTION"])
