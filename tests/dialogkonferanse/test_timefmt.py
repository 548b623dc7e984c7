"""The one Oslo-time formatter: wall time in Oslo with the offset of that date (winter +01:00,
summer +02:00), whatever the stored UTC value."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from dialogkonferanse.common import timefmt

WINTER = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
WINTER_END = dt.datetime(2026, 11, 25, 12, 30, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 6, 10, 7, 0, tzinfo=dt.UTC)
SUMMER_NEXT_DAY = dt.datetime(2026, 6, 11, 7, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (WINTER, "25. november 2026 09:00 (UTC+01:00)"),
        (SUMMER, "10. juni 2026 09:00 (UTC+02:00)"),
        (None, ""),
    ],
)
def test_oslo_text_in_norwegian_shows_oslo_wall_time_and_offset(value, expected):
    with translation.override("nb"):
        assert timefmt.oslo_text(value) == expected


def test_oslo_text_short_format_for_the_admin():
    with translation.override("nb"):
        assert timefmt.oslo_text(WINTER, "SHORT_DATETIME_FORMAT") == "25.11.2026 09:00 (UTC+01:00)"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (WINTER, WINTER_END, "25. november 2026 09:00 (UTC+01:00) \u2013 13:30"),
        (
            SUMMER,
            SUMMER_NEXT_DAY,
            "10. juni 2026 09:00 (UTC+02:00) \u2013 11. juni 2026 09:00 (UTC+02:00)",
        ),
        (WINTER, None, "25. november 2026 09:00 (UTC+01:00)"),
        (None, WINTER_END, ""),
    ],
)
def test_oslo_span_end_date_only_when_it_differs(start, end, expected):
    with translation.override("nb"):
        assert timefmt.oslo_span(start, end) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (WINTER, WINTER_END, "25. november 2026 09:00 \u2013 13:30 (UTC+01:00)"),
        (WINTER, None, "25. november 2026 09:00 (UTC+01:00)"),
        (None, None, ""),
    ],
)
def test_oslo_short_span_one_offset_after_the_slot(start, end, expected):
    with translation.override("nb"):
        assert timefmt.oslo_short_span(start, end) == expected


@pytest.mark.parametrize(
    ("timespec", "expected"),
    [("minutes", "2026-06-10T09:00+02:00"), ("seconds", "2026-06-10T09:00:00+02:00")],
)
def test_oslo_iso_for_spreadsheets_in_oslo_time(timespec, expected):
    assert timefmt.oslo_iso(SUMMER, timespec) == expected
    assert timefmt.oslo_iso(None, timespec) == ""


def test_utc_offset_of_a_non_whole_hour_offset():
    value = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone(-dt.timedelta(hours=3, minutes=30)))
    assert timefmt.utc_offset(value) == "UTC-03:30"


def test_oslo_date_and_offset_follow_the_date():
    with translation.override("nb"):
        assert (timefmt.oslo_date_text(WINTER), timefmt.oslo_offset(WINTER)) == (
            "25. november 2026",
            "UTC+01:00",
        )
        assert (timefmt.oslo_date_text(SUMMER), timefmt.oslo_offset(SUMMER)) == (
            "10. juni 2026",
            "UTC+02:00",
        )
        assert (timefmt.oslo_date_text(None), timefmt.oslo_offset(None)) == ("", "")
