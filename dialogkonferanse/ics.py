"""The one iCalendar (RFC 5545) builder: every ``.ics`` the product sends or serves comes from here.

Times are written in Europe/Oslo with a VTIMEZONE covering the event, so calendar programs
place the event right on either side of a daylight-saving change (DOMAIN.md rule 14).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

PRODID = "-//Dialogkonferanse//Dialogkonferanse//EN"


@dataclass(frozen=True)
class IcsEvent:
    """One VEVENT. ``uid`` must stay the same for the same thing across updates."""

    uid: str
    summary: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    description: str = ""
    location: str = ""
    url: str = ""
    sequence: int = 0
    status: str = "CONFIRMED"
    organizer_email: str = ""
    organizer_name: str = ""
    attendees: list[tuple[str, str]] = field(default_factory=list)  # (email, name)
    stamp: dt.datetime | None = None


def build_calendar(events: list[IcsEvent], *, method: str = "PUBLISH") -> bytes:
    """Serialise ``events`` as one VCALENDAR with the Oslo VTIMEZONE; returns CRLF-ended bytes."""
    if not events:
        raise ValueError("A calendar needs at least one event.")
    tz = ZoneInfo(settings.TIME_ZONE)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", (item.stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))
        event.add("dtstart", item.starts_at.astimezone(tz))
        event.add("dtend", item.ends_at.astimezone(tz))
        event.add("summary", item.summary)
        event.add("sequence", item.sequence)
        event.add("status", item.status)
        if item.description:
            event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        if item.url:
            event.add("url", item.url)
        if item.organizer_email:
            organizer = vCalAddress(f"mailto:{item.organizer_email}")
            if item.organizer_name:
                organizer.params["cn"] = vText(item.organizer_name)
            event.add("organizer", organizer)
        for email, name in item.attendees:
            attendee = vCalAddress(f"mailto:{email}")
            if name:
                attendee.params["cn"] = vText(name)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["partstat"] = vText("NEEDS-ACTION")
            event.add("attendee", attendee, encode=0)
        cal.add_component(event)
    first_year = min(e.starts_at for e in events).astimezone(tz).year - 1
    last_year = max(e.ends_at for e in events).astimezone(tz).year + 1
    cal.subcomponents.insert(0, _vtimezone(settings.TIME_ZONE, first_year, last_year))
    return cal.to_ical()


@functools.lru_cache(maxsize=32)
def _vtimezone(name: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE covering whole years around the events (computing it costs a few ms, so
    it is built once per process and range; calendars only read it)."""
    return Timezone.from_tzinfo(
        ZoneInfo(name), first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
    )
