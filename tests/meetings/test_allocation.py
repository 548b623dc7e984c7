from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.allocation import allocate_meetings, allocation_order
from meetings.choices import AllocationMethod, AllocationMode, EventKind, WaitingStatus
from meetings.models import Meeting, MeetingEvent, Slot, WaitingListEntry
from meetings.services import generate_slots
from tests.factories import make_conference, make_meeting_settings, make_registration, make_staff

pytestmark = pytest.mark.django_db


def _setup(*, suppliers: int, windows_minutes: int = 120, teams: int = 1, slug: str = ""):
    """A staff-allocated conference with ``suppliers`` opted-in registrations, created in order."""
    conference = make_conference(offers_one_to_one=True, **({"slug": slug} if slug else {}))
    day = (timezone.now() + dt.timedelta(days=5)).date()
    end = (dt.datetime.combine(day, dt.time(10)) + dt.timedelta(minutes=windows_minutes)).time()
    make_meeting_settings(
        conference=conference,
        teams=teams,
        windows=[(day, dt.time(10), end)],
        allocation_mode=AllocationMode.STAFF,
    )
    generate_slots(conference_id=conference.pk)
    base = timezone.now() - dt.timedelta(days=2)
    registrations = [
        make_registration(
            conference=conference,
            wants_one_to_one=True,
            created_at=base + dt.timedelta(minutes=i),
        )
        for i in range(suppliers)
    ]
    # created_at is auto_now_add: set the order explicitly.
    for i, registration in enumerate(registrations):
        type(registration).objects.filter(pk=registration.pk).update(
            created_at=base + dt.timedelta(minutes=i)
        )
    return conference, registrations


def test_allocate_in_registration_order_fills_earliest_slots_then_waiting_list():
    conference, regs = _setup(suppliers=5)  # 120 min, 30 + 10 → 3 slots
    not_opted = make_registration(conference=conference, wants_one_to_one=False)
    cancelled = make_registration(
        conference=conference, wants_one_to_one=True, cancelled_at=timezone.now()
    )
    staff = make_staff()

    result = allocate_meetings(
        conference_id=conference.pk, method=AllocationMethod.REGISTRATION_ORDER, actor=staff
    )

    slots = list(Slot.objects.filter(conference=conference).order_by("starts_at"))
    assert result.allocated == [(regs[i].pk, slots[i].pk) for i in range(3)]
    assert result.waitlisted == [regs[3].pk, regs[4].pk]
    assert set(Meeting.objects.values_list("registration_id", flat=True)) == {
        r.pk for r in regs[:3]
    }
    assert not Meeting.objects.filter(registration__in=[not_opted, cancelled]).exists()
    assert list(
        WaitingListEntry.objects.order_by("position").values_list("registration_id", "position")
    ) == [(regs[3].pk, 1), (regs[4].pk, 2)]
    run = MeetingEvent.objects.get(kind=EventKind.ALLOCATION_RUN)
    assert (run.actor, run.seed, run.details["method"]) == (staff, None, "registration_order")
    assert run.details["order"] == [r.pk for r in regs]
    assert MeetingEvent.objects.filter(kind=EventKind.ALLOCATED).count() == 3
    assert MeetingEvent.objects.filter(kind=EventKind.WAITLISTED).count() == 2
    # Not yet emailed: the invitations follow in a task after commit.
    assert set(Meeting.objects.values_list("notified_sequence", flat=True)) == {-1}


def test_allocate_twice_gives_nobody_a_second_meeting():
    conference, regs = _setup(suppliers=2)

    allocate_meetings(conference_id=conference.pk)
    second = allocate_meetings(conference_id=conference.pk)

    assert second.allocated == []
    assert Meeting.objects.count() == 2
    assert sorted(Meeting.objects.values_list("registration_id", flat=True)) == sorted(
        r.pk for r in regs
    )


def test_allocate_again_after_new_slots_serves_the_waiting_list_first():
    conference, regs = _setup(suppliers=4, windows_minutes=80)  # 2 slots
    allocate_meetings(conference_id=conference.pk)
    latecomer = make_registration(conference=conference, wants_one_to_one=True)
    window = conference.meeting_settings.windows.get()
    window.end_time = dt.time(14)  # four more slots: 11:20, 12:00, 12:40, 13:20
    window.save()
    generate_slots(conference_id=conference.pk)

    result = allocate_meetings(conference_id=conference.pk)

    assert [r for r, _slot in result.allocated][:2] == [regs[2].pk, regs[3].pk]
    assert latecomer.pk in [r for r, _slot in result.allocated]
    assert WaitingListEntry.objects.filter(status=WaitingStatus.BOOKED).count() == 2


def test_lottery_is_reproducible_from_its_seed():
    conference, regs = _setup(suppliers=8, windows_minutes=120)
    ids = [r.pk for r in regs]

    result = allocate_meetings(
        conference_id=conference.pk, method=AllocationMethod.LOTTERY, seed=424242
    )

    run = MeetingEvent.objects.get(kind=EventKind.ALLOCATION_RUN)
    assert run.seed == 424242
    expected = allocation_order(ids, method=AllocationMethod.LOTTERY, seed=424242)
    assert run.details["order"] == expected
    assert [r for r, _slot in result.allocated] == expected[:3]
    assert result.waitlisted == expected[3:]
    assert expected != ids  # the shuffle did something
    assert allocation_order(ids, method="lottery", seed=424242) == expected
    assert allocation_order(list(reversed(ids)), method="lottery", seed=424242) == expected
    assert allocation_order(ids, method="lottery", seed=1) != expected


def test_lottery_without_seed_draws_and_records_one():
    conference, _regs = _setup(suppliers=3)

    result = allocate_meetings(conference_id=conference.pk, method=AllocationMethod.LOTTERY)

    assert result.seed is not None
    assert MeetingEvent.objects.get(kind=EventKind.ALLOCATION_RUN).seed == result.seed


def test_allocation_queries_do_not_grow_with_registrations():
    small, _ = _setup(suppliers=3, windows_minutes=80, slug="alloc-small")  # 2 slots
    large, _ = _setup(suppliers=40, windows_minutes=600, teams=2, slug="alloc-large")  # 30

    with CaptureQueriesContext(connection) as few:
        allocate_meetings(conference_id=small.pk, method=AllocationMethod.LOTTERY, seed=1)
    with CaptureQueriesContext(connection) as many:
        allocate_meetings(conference_id=large.pk, method=AllocationMethod.LOTTERY, seed=1)

    assert Meeting.objects.filter(conference=small).count() == 2
    assert Meeting.objects.filter(conference=large).count() == 30
    assert WaitingListEntry.objects.filter(conference=large).count() == 10
    assert len(many.captured_queries) == len(few.captured_queries)
