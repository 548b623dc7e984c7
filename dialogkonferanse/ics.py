"""The one iCalendar (RFC 5545) builder: every ``.ics`` the product sends or serves comes from here.

Times are written in Europe/Oslo with a VTIMEZONE covering the event, so calendar programs
place the event right on either side of a daylight-saving change (DOMAIN.md rule 14).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace
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
    attendees: tuple[tuple[str, str], ...] = ()  # (email, name)
    stamp: dt.datetime | None = None

    def __post_init__(self) -> None:
        # Hashable, so a calendar can be cached by its events.
        object.__setattr__(self, "attendees", tuple(tuple(a) for a in self.attendees))


_END_EVENT = b"END:VEVENT\r\n"


def build_calendar(events: list[IcsEvent], *, method: str = "PUBLISH") -> bytes:
    """Serialise ``events`` as one VCALENDAR with the Oslo VTIMEZONE; returns CRLF-ended bytes.

    Events with a fixed ``stamp`` are serialised once per process and reused: a conference's
    invite differs between recipients only in its ATTENDEE lines, which are written per call and
    appended where the builder puts them anyway, at the end of each VEVENT.
    """
    if not events:
        raise ValueError("A calendar needs at least one event.")
    if any(item.stamp is None for item in events):
        return _build(tuple(events), method)
    shared = _serialise(tuple(replace(item, attendees=()) for item in events), method)
    if not any(item.attendees for item in events):
        return shared
    parts = shared.split(_END_EVENT)
    if len(parts) != len(events) + 1:  # cannot happen: text values never hold a bare CRLF
        return _build(tuple(events), method)
    out: list[bytes] = []
    for part, item in zip(parts, events, strict=False):
        out += [part, _attendee_lines(item.attendees), _END_EVENT]
    out.append(parts[-1])
    return b"".join(out)


def _attendee(email: str, name: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    if name:
        attendee.params["cn"] = vText(name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    return attendee


def _attendee_lines(attendees: tuple[tuple[str, str], ...]) -> bytes:
    """The folded, escaped ATTENDEE content lines, as icalendar writes them inside a VEVENT."""
    if not attendees:
        return b""
    event = Event()
    for email, name in attendees:
        event.add("attendee", _attendee(email, name), encode=0)
    lines = event.to_ical()
    return lines[lines.index(b"\r\n") + 2 : lines.rindex(_END_EVENT)]


@functools.lru_cache(maxsize=256)
def _serialise(events: tuple[IcsEvent, ...], method: str) -> bytes:
    return _build(events, method)


def _build(events: tuple[IcsEvent, ...], method: str) -> bytes:
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
            event.add("attendee", _attendee(email, name), encode=0)
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
