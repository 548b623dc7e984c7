from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from meetings.choices import EventKind
from meetings.models import MeetingEvent, MeetingWindow, Slot
from meetings.services import book_slot, generate_slots
from tests.factories import make_conference, make_meeting_settings

pytestmark = pytest.mark.django_db
OSLO = ZoneInfo("Europe/Oslo")


def _local_starts(conference_id: int) -> list[tuple[str, str, str]]:
    return [
        (
            s.team.name,
            timezone.localtime(s.starts_at, OSLO).strftime("%Y-%m-%d %H:%M%z"),
            timezone.localtime(s.ends_at, OSLO).strftime("%H:%M"),
        )
        for s in Slot.objects.filter(conference_id=conference_id)
        .select_related("team")
        .order_by("team__name", "starts_at")
    ]


def test_generate_slots_lays_out_buffers_for_every_team():
    conference = make_conference(offers_one_to_one=True)
    day = dt.date(2026, 12, 7)
    make_meeting_settings(
        conference=conference,
        teams=2,
        windows=[(day, dt.time(10), dt.time(12))],
        slot_minutes=30,
        buffer_minutes=10,
    )

    result = generate_slots(conference_id=conference.pk)

    assert (result.created, result.removed, result.unchanged) == (6, 0, 0)
    assert _local_starts(conference.pk) == [
        ("Team A", "2026-12-07 10:00+0100", "10:30"),
        ("Team A", "2026-12-07 10:40+0100", "11:10"),
        ("Team A", "2026-12-07 11:20+0100", "11:50"),
        ("Team B", "2026-12-07 10:00+0100", "10:30"),
        ("Team B", "2026-12-07 10:40+0100", "11:10"),
        ("Team B", "2026-12-07 11:20+0100", "11:50"),
    ]
    first = Slot.objects.order_by("starts_at").first()
    assert first.starts_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # stored in UTC


def test_generate_slots_twice_changes_nothing_and_keeps_ids():
    conference = make_conference(offers_one_to_one=True)
    make_meeting_settings(conference=conference, teams=2)
    generate_slots(conference_id=conference.pk)
    before = sorted(Slot.objects.values_list("pk", flat=True))

    result = generate_slots(conference_id=conference.pk)

    assert (result.created, result.removed, result.unchanged) == (0, 0, 6)
    assert sorted(Slot.objects.values_list("pk", flat=True)) == before
    assert MeetingEvent.objects.filter(kind=EventKind.SLOTS_GENERATED).count() == 2


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Spring forward (29 March 2026): 02:00 CET jumps to 03:00 CEST, the window holds 2 h.
        (
            dt.date(2026, 3, 29),
            ["01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"],
        ),
        # Fall back (25 October 2026): 03:00 CEST falls back to 02:00 CET, the window holds 4 h.
        (
            dt.date(2026, 10, 25),
            [
                "01:00+0200",
                "01:30+0200",
                "02:00+0200",
                "02:30+0200",
                "02:00+0100",
                "02:30+0100",
                "03:00+0100",
                "03:30+0100",
            ],
        ),
    ],
)
def test_generate_slots_window_across_dst_change_keeps_real_length(day, expected):
    conference = make_conference(offers_one_to_one=True)
    make_meeting_settings(
        conference=conference,
        teams=1,
        windows=[(day, dt.time(1), dt.time(4))],
        slot_minutes=30,
        buffer_minutes=0,
    )

    generate_slots(conference_id=conference.pk)

    slots = list(Slot.objects.order_by("starts_at"))
    assert [timezone.localtime(s.starts_at, OSLO).strftime("%H:%M%z") for s in slots] == expected
    assert {s.ends_at - s.starts_at for s in slots} == {dt.timedelta(minutes=30)}


def test_generate_slots_daytime_window_on_dst_day_uses_summer_offset():
    conference = make_conference(offers_one_to_one=True)
    make_meeting_settings(
        conference=conference,
        teams=1,
        windows=[(dt.date(2026, 3, 29), dt.time(9), dt.time(10))],
        slot_minutes=30,
        buffer_minutes=0,
    )

    generate_slots(conference_id=conference.pk)

    assert list(Slot.objects.order_by("starts_at").values_list("starts_at", flat=True)) == [
        dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 7, 30, tzinfo=dt.UTC),
    ]


def test_generate_slots_never_removes_a_booked_slot_outside_the_new_plan(supplier_factory):
    conference = make_conference(offers_one_to_one=True, slug="regen")
    settings_row = make_meeting_settings(conference=conference, teams=1)
    generate_slots(conference_id=conference.pk)
    booked_slot = Slot.objects.order_by("starts_at").first()
    supplier = supplier_factory(conference=conference)
    book_slot(registration_id=supplier.pk, slot_id=booked_slot.pk)
    # Staff move the window an hour later and lengthen the meetings.
    window = MeetingWindow.objects.get(meeting_settings=settings_row)
    window.start_time, window.end_time = dt.time(10, 15), dt.time(13)
    window.save()
    settings_row.slot_minutes = 45
    settings_row.save()

    result = generate_slots(conference_id=conference.pk)

    assert Slot.objects.filter(pk=booked_slot.pk).exists()
    assert result.kept_booked == 1
    assert result.removed == 2  # the two free old slots
    # 10:15-11:00 overlaps the kept 10:00-10:30 slot: skipped; 11:10, 12:05 created.
    assert result.skipped == 1
    assert result.created == 2
    assert booked_slot.meetings.get().is_booked


def test_generate_slots_without_teams_or_windows_raises():
    from meetings.exceptions import MeetingError

    conference = make_conference(offers_one_to_one=True)
    make_meeting_settings(conference=conference, teams=0)

    with pytest.raises(MeetingError, match="team"):
        generate_slots(conference_id=conference.pk)
