from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from conferences.ics import conference_uid
from tests.factories import make_conference

pytestmark = pytest.mark.django_db
OSLO = ZoneInfo("Europe/Oslo")


def _download(client, conference) -> Calendar:
    response = client.get(reverse("conferences:calendar", args=[conference.slug]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        # The last Sunday of March 2027 is the 28th: 02:00 CET becomes 03:00 CEST.
        (
            dt.datetime(2027, 3, 27, 9, 0, tzinfo=OSLO),
            dt.datetime(2027, 3, 27, 8, 0, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2027, 3, 29, 9, 0, tzinfo=OSLO),
            dt.datetime(2027, 3, 29, 7, 0, tzinfo=dt.UTC),
        ),
        # The last Sunday of October 2027 is the 31st.
        (
            dt.datetime(2027, 10, 30, 9, 0, tzinfo=OSLO),
            dt.datetime(2027, 10, 30, 7, 0, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2027, 11, 1, 9, 0, tzinfo=OSLO),
            dt.datetime(2027, 11, 1, 8, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_conference_ics_start_keeps_oslo_wall_time_across_dst(client, local_start, utc_start):
    conference = make_conference(
        starts_at=local_start,
        registration_opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )

    calendar = _download(client, conference)

    event = calendar.walk("VEVENT")[0]
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert (start.date(), start.time()) == (local_start.date(), local_start.time())
    assert start.astimezone(dt.UTC) == utc_start
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Oslo"]


def test_conference_ics_spanning_dst_change_has_right_end(client):
    # Saturday 09:00 CET to Sunday 12:00 CEST: 27 hours on the clock, 26 real hours.
    start = dt.datetime(2027, 3, 27, 9, 0, tzinfo=OSLO)
    conference = make_conference(
        starts_at=start,
        ends_at=dt.datetime(2027, 3, 28, 12, 0, tzinfo=OSLO),
        registration_opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )

    event = _download(client, conference).walk("VEVENT")[0]

    real = event.decoded("DTEND").astimezone(dt.UTC) - event.decoded("DTSTART").astimezone(dt.UTC)
    assert real == dt.timedelta(hours=26)
    assert event.decoded("DTEND").astimezone(dt.UTC) == dt.datetime(
        2027, 3, 28, 10, 0, tzinfo=dt.UTC
    )


def test_conference_ics_uid_is_stable_and_content_is_complete(client):
    conference = make_conference(title="Dialog om ferjer")

    first = _download(client, conference).walk("VEVENT")[0]
    second = _download(client, conference).walk("VEVENT")[0]

    assert str(first["UID"]) == str(second["UID"]) == conference_uid(conference)
    assert str(first["SUMMARY"]) == "Dialog om ferjer"
    assert str(first["LOCATION"]).endswith(conference.get_absolute_url())
    assert str(first["ORGANIZER"]) == f"mailto:{conference.contact_email}"
    assert int(first["SEQUENCE"]) == 0


def test_conference_ics_draft_is_not_served_to_public(client):
    from conferences.choices import ConferenceStatus

    conference = make_conference(status=ConferenceStatus.DRAFT)

    response = client.get(reverse("conferences:calendar", args=[conference.slug]))

    assert response.status_code == 404
