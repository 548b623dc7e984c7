"""The invitations' ``.ics`` round-trip through icalendar: METHOD, UID, SEQUENCE, times."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from dialogkonferanse.models import OutboundAttachment
from meetings.models import Slot
from meetings.services import book_slot, cancel_meeting, change_meeting

pytestmark = pytest.mark.django_db


def _calendars(registration) -> list[Calendar]:
    return [
        Calendar.from_ical(bytes(a.content))
        for a in OutboundAttachment.objects.filter(email__registration=registration).order_by(
            "email__pk"
        )
    ]


def _event(cal: Calendar):
    [event] = cal.walk("VEVENT")
    return event


def test_meeting_ics_request_change_cancel_round_trip(meeting_settings, supplier_factory):
    supplier = supplier_factory(contact_name="Kari Nordmann", email="kari@fjord.example")
    first, second = Slot.objects.filter(conference=meeting_settings.conference).order_by(
        "starts_at", "team__name"
    )[:2]
    meeting = book_slot(registration_id=supplier.pk, slot_id=first.pk)
    change_meeting(registration_id=supplier.pk, to_slot_id=second.pk)
    cancel_meeting(registration_id=supplier.pk)

    invite, update, cancel = _calendars(supplier)

    assert [str(c["method"]) for c in (invite, update, cancel)] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [_event(c) for c in (invite, update, cancel)]
    assert {str(e["uid"]) for e in events} == {f"meeting-{meeting.uid}@dialogkonferanse"}
    assert [int(e["sequence"]) for e in events] == [0, 1, 2]
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    first_event = events[0]
    assert first_event.decoded("dtstart") == first.starts_at
    assert first_event.decoded("dtend") - first_event.decoded("dtstart") == dt.timedelta(minutes=30)
    assert str(first_event["dtstart"].params["TZID"]) == "Europe/Oslo"
    assert [str(tz["tzid"]) for tz in invite.walk("VTIMEZONE")] == ["Europe/Oslo"]
    assert events[1].decoded("dtstart") == second.starts_at
    assert str(first_event["location"]) == meeting.video_url
    assert meeting.video_url in str(first_event["description"])
    assert "Presentasjon av leverandøren" in str(first_event["description"])
    conference = meeting_settings.conference
    assert str(first_event["organizer"]) == f"mailto:{conference.contact_email}"
    assert first_event["organizer"].params["CN"] == conference.buyer.name
    attendee = first_event["attendee"]
    assert str(attendee) == "mailto:kari@fjord.example"
    assert attendee.params["CN"] == "Kari Nordmann"
