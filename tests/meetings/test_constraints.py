"""The database is the last guard: direct inserts that break a rule fail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from meetings.choices import MeetingStatus
from meetings.models import Meeting
from tests.factories import make_meeting_settings, make_registration, make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(conference):
    return make_meeting_settings(conference=conference, teams=2).teams.order_by("name").first()


def _meeting(slot, registration, **overrides):
    values = {"conference_id": slot.conference_id, "slot": slot, "registration": registration}
    values.update(overrides)
    return Meeting.objects.create(**values)


def test_slot_ending_before_it_starts_is_refused(team):
    with pytest.raises(IntegrityError, match="slot_ends_after_start"):
        make_slot(team=team, minutes=-30)


def test_overlapping_slots_of_one_team_are_refused(team):
    first = make_slot(team=team)

    with pytest.raises(IntegrityError, match="slot_no_overlap_per_team"):
        make_slot(team=team, starts_at=first.starts_at + dt.timedelta(minutes=15))


def test_overlapping_slots_of_two_teams_are_allowed(team):
    other = team.meeting_settings.teams.exclude(pk=team.pk).get()
    first = make_slot(team=team)

    second = make_slot(team=other, starts_at=first.starts_at + dt.timedelta(minutes=15))

    assert second.pk is not None


def test_adjacent_slots_of_one_team_are_allowed(team):
    first = make_slot(team=team)

    second = make_slot(team=team, starts_at=first.ends_at)

    assert second.starts_at == first.ends_at


def test_second_booked_meeting_for_a_slot_is_refused(team, conference):
    slot = make_slot(team=team)
    _meeting(slot, make_registration(conference=conference))

    with pytest.raises(IntegrityError, match="meeting_one_per_slot"):
        _meeting(slot, make_registration(conference=conference))


def test_second_booked_meeting_for_a_registration_is_refused(team, conference):
    registration = make_registration(conference=conference)
    _meeting(make_slot(team=team), registration)
    later = make_slot(team=team, starts_at=timezone.now() + dt.timedelta(days=2))

    with pytest.raises(IntegrityError, match="meeting_one_per_registration"):
        _meeting(later, registration)


def test_cancelled_meeting_leaves_the_slot_free_for_a_new_booking(team, conference):
    slot = make_slot(team=team)
    _meeting(
        slot,
        make_registration(conference=conference),
        status=MeetingStatus.CANCELLED,
        cancelled_at=timezone.now(),
    )

    again = _meeting(slot, make_registration(conference=conference))

    assert again.is_booked


def test_cancelled_meeting_needs_a_cancellation_time(team, conference):
    with pytest.raises(IntegrityError, match="meeting_cancelled_has_time"), transaction.atomic():
        _meeting(
            make_slot(team=team),
            make_registration(conference=conference),
            status=MeetingStatus.CANCELLED,
        )
