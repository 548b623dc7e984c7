"""The one Oslo-time formatter: wall time in Oslo written as each language writes it (weekday,
"kl." and 09.00 in Norwegian, British style in English), the offset stated once per page, and
durations with plural forms."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.template import Context, Template
from django.utils import translation

from dialogkonferanse.common import timefmt

WINTER = dt.datetime(2026, 12, 19, 8, 0, tzinfo=dt.UTC)  # Saturday 09:00 in Oslo
WINTER_END = dt.datetime(2026, 12, 19, 11, 0, tzinfo=dt.UTC)
WINTER_NEXT_DAY = dt.datetime(2026, 12, 20, 11, 30, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 6, 10, 7, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Oslo
BEFORE_AUTUMN_CHANGE = dt.datetime(2026, 10, 23, 7, 0, tzinfo=dt.UTC)  # Fri 09:00 (+2)
AFTER_AUTUMN_CHANGE = dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC)  # Mon 09:00 (+1)
BEFORE_SPRING_CHANGE = dt.datetime(2027, 3, 26, 8, 0, tzinfo=dt.UTC)  # Fri 09:00 (+1)
AFTER_SPRING_CHANGE = dt.datetime(2027, 3, 29, 7, 0, tzinfo=dt.UTC)  # Mon 09:00 (+2)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "lørdag 19. desember 2026 kl. 09.00"),
        ("nn", "laurdag 19. desember 2026 kl. 09.00"),
        ("en", "Saturday 19 December 2026, 09:00"),
    ],
)
def test_oslo_text_weekday_and_clock_as_the_language_writes_it(lang, expected):
    with translation.override(lang):
        assert timefmt.oslo_text(WINTER) == expected
        assert timefmt.oslo_text(None) == ""


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "onsdag 10. juni 2026 kl. 09.00"),
        ("en", "Wednesday 10 June 2026, 09:00"),
    ],
)
def test_oslo_text_summer_shows_oslo_wall_time_without_offset(lang, expected):
    with translation.override(lang):
        assert timefmt.oslo_text(SUMMER) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "19.12.2026 kl. 09.00"), ("nn", "19.12.2026 kl. 09.00"), ("en", "19/12/2026 09:00")],
)
def test_oslo_text_short_format_for_the_admin(lang, expected):
    with translation.override(lang):
        assert timefmt.oslo_text(WINTER, "SHORT_DATETIME_FORMAT") == expected


@pytest.mark.parametrize(
    ("lang", "start", "end", "expected"),
    [
        ("nb", WINTER, WINTER_END, "lørdag 19. desember 2026 kl. 09.00\u201312.00"),
        ("nn", WINTER, WINTER_END, "laurdag 19. desember 2026 kl. 09.00\u201312.00"),
        ("en", WINTER, WINTER_END, "Saturday 19 December 2026, 09:00\u201312:00"),
        (
            "nb",
            WINTER,
            WINTER_NEXT_DAY,
            "lørdag 19. desember 2026 kl. 09.00 \u2013 søndag 20. desember 2026 kl. 12.30",
        ),
        (
            "en",
            WINTER,
            WINTER_NEXT_DAY,
            "Saturday 19 December 2026, 09:00 \u2013 Sunday 20 December 2026, 12:30",
        ),
        ("nb", WINTER, None, "lørdag 19. desember 2026 kl. 09.00"),
        ("nb", None, WINTER_END, ""),
    ],
)
def test_oslo_span_one_day_then_across_days(lang, start, end, expected):
    with translation.override(lang):
        assert timefmt.oslo_span(start, end) == expected
        assert timefmt.oslo_short_span(start, end) == expected


def test_oslo_span_across_a_daylight_saving_change_keeps_each_wall_time():
    with translation.override("nb"):
        assert timefmt.oslo_span(BEFORE_AUTUMN_CHANGE, AFTER_AUTUMN_CHANGE) == (
            "fredag 23. oktober 2026 kl. 09.00 \u2013 mandag 26. oktober 2026 kl. 09.00"
        )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", ("lørdag 19. desember", "09.00")), ("en", ("Saturday 19 December", "09:00"))],
)
def test_oslo_day_and_time_text(lang, expected):
    with translation.override(lang):
        assert (timefmt.oslo_day_text(WINTER), timefmt.oslo_time_text(WINTER)) == expected
        assert timefmt.oslo_day_text(dt.date(2026, 12, 19)) == expected[0]


def test_oslo_date_text_has_the_weekday():
    with translation.override("nn"):
        assert timefmt.oslo_date_text(WINTER) == "laurdag 19. desember 2026"
        assert timefmt.oslo_date_text(WINTER, "SHORT_DATE_FORMAT") == "19.12.2026"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (WINTER, "UTC+1"),
        (SUMMER, "UTC+2"),
        (AFTER_AUTUMN_CHANGE, "UTC+1"),
        (AFTER_SPRING_CHANGE, "UTC+2"),
        (None, ""),
    ],
)
def test_oslo_offset_follows_the_date(value, expected):
    assert timefmt.oslo_offset(value) == expected


def test_utc_offset_iso_and_short_of_a_part_hour_offset():
    value = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone(-dt.timedelta(hours=3, minutes=30)))
    assert (timefmt.utc_offset(value), timefmt.short_utc_offset(value)) == (
        "UTC-03:30",
        "UTC-3:30",
    )


@pytest.mark.parametrize(
    ("timespec", "expected"),
    [("minutes", "2026-06-10T09:00+02:00"), ("seconds", "2026-06-10T09:00:00+02:00")],
)
def test_oslo_iso_for_spreadsheets_in_oslo_time(timespec, expected):
    assert timefmt.oslo_iso(SUMMER, timespec) == expected
    assert timefmt.oslo_iso(None, timespec) == ""


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "Alle tider er norsk tid (UTC+1)."),
        ("nn", "Alle tider er norsk tid (UTC+1)."),
        ("en", "All times are Norwegian time (UTC+1)."),
    ],
)
def test_times_note_one_offset(lang, expected):
    with translation.override(lang):
        assert timefmt.times_note(WINTER, WINTER_END, None) == expected


@pytest.mark.parametrize(
    ("lang", "values", "expected"),
    [
        (
            "nb",
            (AFTER_AUTUMN_CHANGE, BEFORE_AUTUMN_CHANGE),
            "Alle tider er norsk tid: UTC+2 før 25. oktober 2026, "
            "UTC+1 fra og med 25. oktober 2026.",
        ),
        (
            "nn",
            (BEFORE_AUTUMN_CHANGE, AFTER_AUTUMN_CHANGE),
            "Alle tider er norsk tid: UTC+2 før 25. oktober 2026, "
            "UTC+1 frå og med 25. oktober 2026.",
        ),
        (
            "en",
            (BEFORE_SPRING_CHANGE, AFTER_SPRING_CHANGE),
            "All times are Norwegian time: UTC+1 before 28 March 2027, UTC+2 from 28 March 2027.",
        ),
    ],
)
def test_times_note_two_offsets_around_a_daylight_saving_change(lang, values, expected):
    with translation.override(lang):
        assert timefmt.times_note(*values) == expected


def test_times_note_more_than_one_change_names_winter_and_summer():
    with translation.override("nb"):
        assert timefmt.times_note(WINTER, SUMMER, dt.datetime(2027, 6, 5, 9, tzinfo=dt.UTC)) == (
            "Alle tider er norsk tid (UTC+1 om vinteren, UTC+2 om sommeren)."
        )


def test_times_note_reads_objects_lists_and_named_attributes():
    class Slot:
        def __init__(self, starts_at, ends_at):
            self.starts_at, self.ends_at = starts_at, ends_at

    with translation.override("en"):
        assert timefmt.times_note([Slot(SUMMER, SUMMER)], WINTER).startswith(
            "All times are Norwegian time: UTC+2 before 25 October 2026"
        )
        assert timefmt.times_note([{"when": SUMMER}], attr="when") == (
            "All times are Norwegian time (UTC+2)."
        )
        assert timefmt.times_note(None, []) == "All times are Norwegian time."


@pytest.mark.parametrize(
    ("lang", "seconds", "expected"),
    [
        ("nb", 13 * 86400 + 14 * 3600 + 25 * 60, "13 dager 14 timer 25 minutter"),
        ("nn", 13 * 86400 + 14 * 3600 + 25 * 60, "13 dagar 14 timar 25 minutt"),
        ("en", 13 * 86400 + 14 * 3600 + 25 * 60, "13 days 14 hours 25 minutes"),
        ("nb", 86400 + 3600 + 60, "1 dag 1 time 1 minutt"),
        ("nn", 86400 + 3600 + 60, "1 dag 1 time 1 minutt"),
        ("en", 86400 + 3600 + 60, "1 day 1 hour 1 minute"),
        ("nb", 2 * 3600 + 2 * 60 + 2, "2 timer 2 minutter 2 sekunder"),
        ("nn", 3600 + 60 + 1, "1 time 1 minutt 1 sekund"),
        ("en", 61, "1 minute 1 second"),
        ("en", -5, "0 minutes 0 seconds"),
    ],
)
def test_duration_text_written_out_with_plurals(lang, seconds, expected):
    with translation.override(lang):
        assert timefmt.duration_text(seconds) == expected


@pytest.mark.parametrize(
    ("lang", "day", "minute"),
    [
        ("nb", ["{n} dag", "{n} dager"], ["{n} minutt", "{n} minutter"]),
        ("nn", ["{n} dag", "{n} dagar"], ["{n} minutt", "{n} minutt"]),
        ("en", ["{n} day", "{n} days"], ["{n} minute", "{n} minutes"]),
    ],
)
def test_duration_units_json_gives_a_script_both_forms(lang, day, minute):
    with translation.override(lang):
        units = json.loads(timefmt.duration_units_json())
    assert (units["day"], units["minute"]) == (day, minute)


def test_filters_wrap_times_in_time_elements_for_the_your_time_script():
    template = Template(
        "{% load dialog %}{{ a|oslo_span:b }}|{{ a|oslo_datetime }}|{{ a|oslo_time }}|"
        "{{ a|oslo_day }}|{% oslo_times_note a b %}"
    )
    with translation.override("nb"):
        html = template.render(Context({"a": WINTER, "b": WINTER_END}))
    assert html == (
        '<time datetime="2026-12-19T09:00:00+01:00" data-end="2026-12-19T12:00:00+01:00">'
        "lørdag 19. desember 2026 kl. 09.00\u201312.00</time>|"
        '<time datetime="2026-12-19T09:00:00+01:00">lørdag 19. desember 2026 kl. '
        "09.00</time>|"
        '<time datetime="2026-12-19T09:00:00+01:00" data-clock>09.00</time>|'
        '<time datetime="2026-12-19">lørdag 19. desember</time>|'
        "Alle tider er norsk tid (UTC+1)."
    )
