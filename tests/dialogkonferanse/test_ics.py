"""The shared ICS builder: the cached calendar with per-recipient attendees holds exactly the
content lines of a calendar built from scratch (only their order within an event may differ)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from dialogkonferanse.ics import IcsEvent, _build, build_calendar

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
