"""The shared ICS builder: the cached calendar with per-recipient attendees holds exactly the
content lines of a calendar built from scratch (only their order within an event may differ)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from dialogkonferanse.common.ics import IcsEvent, _build, build_calendar

STAMP = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def _lines_per_event(data: bytes) -> list[list[bytes]]:
    """Unfolded content lines of each VEVENT, sorted; the VCALENDAR/VTIMEZONE lines as the first
    entry."""
    blocks = data.replace(b"\r\n ", b"").split(b"BEGIN:VEVENT\r\n")
    return [sorted(block.split(b"\r\n")) for block in blocks]


def _event(uid: str, attendees: list[tuple[str, str]], **overrides) -> IcsEvent:
    values = {
        "uid": uid,
        "summary": "Markedsdialog: sensorer, bøyer; kyst",
        "starts_at": dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC),
        "ends_at": dt.datetime(2027, 3, 28, 3, 0, tzinfo=dt.UTC),
        "description": "Line one\nLine two, with; punctuation and \\ backslash",
        "location": "https://dialog.example/me/k/stream/",
        "organizer_email": "innkjop@etat.example",
        "organizer_name": "Kystverket",
        "attendees": attendees,
        "stamp": STAMP,
    }
    values.update(overrides)
    return IcsEvent(**values)


@pytest.mark.parametrize(
    "attendees",
    [
        [],
        [("kari@leverandor.example", "Kari Nordmann")],
        [("a@b.example", ""), ("c@d.example", 'Ærlig "Øystein", Åse; & Co ' * 4)],
    ],
)
def test_build_calendar_cached_equals_fresh_build(attendees):
    events = [_event("one@dialog", attendees), _event("two@dialog", attendees[:1], sequence=3)]

    cached_first = build_calendar(events, method="REQUEST")
    cached_again = build_calendar(events, method="REQUEST")

    fresh = _lines_per_event(_build(tuple(events), "REQUEST"))
    assert _lines_per_event(cached_first) == fresh
    assert cached_again == cached_first


def test_build_calendar_attendees_differ_per_recipient():
    kari = build_calendar([_event("u@dialog", [("kari@x.example", "Kari")])], method="REQUEST")
    ola = build_calendar([_event("u@dialog", [("ola@y.example", "Ola")])], method="REQUEST")

    attendees = [
        str(Calendar.from_ical(data).walk("VEVENT")[0]["attendee"]) for data in (kari, ola)
    ]
    assert attendees == ["mailto:kari@x.example", "mailto:ola@y.example"]


def test_build_calendar_without_stamp_is_not_cached():
    event = _event("u@dialog", [], stamp=None)

    first = Calendar.from_ical(build_calendar([event]))
    second = Calendar.from_ical(build_calendar([event]))

    stamps = [c.walk("VEVENT")[0].decoded("dtstamp") for c in (first, second)]
    assert stamps[0] <= stamps[1]
    assert stamps[0].tzinfo is not None


HOSTILE_ADDRESS = '"a\x0bBcc:x@evil.example"@probe.example'
HOSTILE_NAME = "Kari\x0c\r\nX-EVIL:1\u2028Nordmann\x00"
# Every character RFC 5545 forbids in a content line (CONTROL), plus the separators that
# Python's str.splitlines (and so many parsers) treats as line breaks.
FORBIDDEN = {chr(c) for c in [*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, 0x85]} | {
    "\u2028",
    "\u2029",
}


def _content_lines(data: bytes) -> list[str]:
    return data.decode().replace("\r\n ", "").split("\r\n")


@pytest.mark.parametrize("stamp", [STAMP, None], ids=["cached", "fresh"])
def test_build_calendar_hostile_attendee_stays_inside_its_property(stamp):
    event = _event(
        "u@dialog",
        [(HOSTILE_ADDRESS, HOSTILE_NAME), ("kari@leverandør.example", "Kåre")],
        stamp=stamp,
        organizer_email="innkjop\x1e@etat.example",
        organizer_name="Etat\r\nATTENDEE:mailto:spy@evil.example",
        summary="Dialog\x0bATTENDEE:mailto:spy@evil.example",
        location="Nett\u2029ATTENDEE:mailto:spy@evil.example",
        description="Linje\x1cX-EVIL:1\x01",
        url="https://dialog.example/a b\x0b",
    )

    data = build_calendar([event], method="REQUEST")

    assert not FORBIDDEN & set(data.decode().replace("\r\n", ""))
    lines = _content_lines(data)
    assert sum(line.startswith("ATTENDEE") for line in lines) == 2
    assert not any(line.startswith("X-EVIL") for line in lines)
    [parsed] = Calendar.from_ical(data).walk("VEVENT")
    attendees = parsed["ATTENDEE"]
    assert [str(a) for a in attendees] == [
        "mailto:%22a%0BBcc:x@evil.example%22@probe.example",
        "mailto:kari@leverandør.example",
    ]
    assert [str(a.params["CN"]) for a in attendees] == ["Kari X-EVIL:1 Nordmann", "Kåre"]
    assert str(parsed["ORGANIZER"]) == "mailto:innkjop%1E@etat.example"
    assert str(parsed["ORGANIZER"].params["CN"]) == "Etat ATTENDEE:mailto:spy@evil.example"
    assert str(parsed["SUMMARY"]) == "Dialog\nATTENDEE:mailto:spy@evil.example"
    assert str(parsed["LOCATION"]) == "Nett\nATTENDEE:mailto:spy@evil.example"
    assert str(parsed["DESCRIPTION"]) == "Linje\nX-EVIL:1"
    assert str(parsed["URL"]) == "https://dialog.example/a%20b%0B"


def test_build_calendar_ordinary_values_are_written_unchanged():
    event = _event("u@dialog", [("o'brien+tag@leverandor.example", "Åse Ødegård")])

    [parsed] = Calendar.from_ical(build_calendar([event], method="REQUEST")).walk("VEVENT")

    assert str(parsed["ATTENDEE"]) == "mailto:o'brien+tag@leverandor.example"
    assert str(parsed["ATTENDEE"].params["CN"]) == "Åse Ødegård"
    assert str(parsed["SUMMARY"]) == "Markedsdialog: sensorer, bøyer; kyst"
    assert str(parsed["DESCRIPTION"]) == "Line one\nLine two, with; punctuation and \\ backslash"
    assert str(parsed["LOCATION"]) == "https://dialog.example/me/k/stream/"
