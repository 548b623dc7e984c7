"""The one iCalendar (RFC 5545) builder: every ``.ics`` the product sends or serves comes from here.

Times are written in Europe/Oslo with a VTIMEZONE covering the event, so calendar programs
place the event right on either side of a daylight-saving change (DOMAIN.md rule 14).

No control character is written into a property. icalendar escapes line breaks in TEXT
values and parameters but writes other control characters as they are, and a calendar address
verbatim; so text values keep their line breaks (escaped as ``\n``) and lose other control
characters, parameters are one line, and addresses and URLs are percent-encoded (RFC 6068,
RFC 3986). A name or address that got past the models' validators (a row written before them)
therefore stays inside its own property.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from dialogkonferanse.common.validators import one_line, text_lines

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


# RFC 6068: in a mailto URI an address keeps its unreserved characters and these delimiters.
_MAILTO_SAFE = frozenset(string.ascii_letters + string.digits + "-._~!$'()*+,;:@")


def _invisible(char: str) -> bool:
    """A control, format, separator or space character (Unicode categories C* and Z*)."""
    return unicodedata.category(char)[0] in "CZ"


def _mailto(address: str) -> str:
    """``address`` as a mailto URI: other ASCII and every invisible character percent-encoded,
    visible non-ASCII (an international domain) kept as it is."""
    if _MAILTO_SAFE.issuperset(address):
        return f"mailto:{address}"
    return "mailto:" + "".join(
        char
        if char in _MAILTO_SAFE or (not char.isascii() and not _invisible(char))
        else quote(char, safe="")
        for char in address
    )


def _uri(value: str) -> str:
    """A URI with every invisible character percent-encoded (RFC 3986 allows none of them)."""
    if value.isascii() and value.isprintable() and " " not in value:
        return value
    return "".join(quote(char, safe="") if _invisible(char) else char for char in value)


def _cal_address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(_mailto(email))
    name = one_line(name)
    if name:
        address.params["cn"] = vText(name)
    return address


def _attendee(email: str, name: str) -> vCalAddress:
    attendee = _cal_address(email, name)
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
        event.add("uid", one_line(item.uid))
        event.add("dtstamp", (item.stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))
        event.add("dtstart", item.starts_at.astimezone(tz))
        event.add("dtend", item.ends_at.astimezone(tz))
        event.add("summary", text_lines(item.summary))
        event.add("sequence", item.sequence)
        event.add("status", item.status)
        if item.description:
            event.add("description", text_lines(item.description))
        if item.location:
            event.add("location", text_lines(item.location))
        if item.url:
            event.add("url", _uri(item.url))
        if item.organizer_email:
            event.add("organizer", _cal_address(item.organizer_email, item.organizer_name))
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
