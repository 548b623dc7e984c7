"""A closed dialogue takes no bookings, waiting-list places, moves or allocations."""

from __future__ import annotations

import datetime as dt

import pytest

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from meetings.allocation import allocate_meetings
from meetings.exceptions import MeetingError
from meetings.models import Meeting, WaitingListEntry
from meetings.services import book_slot, join_waiting_list, move_meeting
from tests.factories import make_meeting_settings, make_registration, make_slot, make_staff

pytestmark = pytest.mark.django_db

CLOSED = "The dialogue is closed: the competition has been announced, so meetings can no"


@pytest.fixture
def closed_setup():
    settings_row = make_meeting_settings()
    team = settings_row.teams.first()
    first = make_slot(team=team)
    slots = [first, make_slot(team=team, starts_at=first.ends_at + dt.timedelta(minutes=10))]
    registration = make_registration(conference=settings_row.conference, wants_one_to_one=True)
    return settings_row, slots, registration


def _close(conference_id: int) -> None:
    Conference.objects.filter(pk=conference_id).update(status=ConferenceStatus.CLOSED)


def test_book_slot_refused_when_closed(closed_setup):
    settings_row, slots, registration = closed_setup
    _close(settings_row.conference_id)

    with pytest.raises(MeetingError, match=CLOSED):
        book_slot(registration_id=registration.pk, slot_id=slots[0].pk)

    assert not Meeting.objects.exists()


def test_join_waiting_list_refused_when_closed(closed_setup):
    settings_row, _slots, registration = closed_setup
    _close(settings_row.conference_id)

    with pytest.raises(MeetingError, match=CLOSED):
        join_waiting_list(registration_id=registration.pk)

    assert not WaitingListEntry.objects.exists()


def test_staff_allocation_and_move_refused_when_closed(closed_setup):
    settings_row, slots, registration = closed_setup
    meeting = Meeting.objects.create(
        conference_id=settings_row.conference_id, slot=slots[0], registration=registration
    )
    _close(settings_row.conference_id)
    staff = make_staff()

    with pytest.raises(MeetingError, match=CLOSED):
        allocate_meetings(conference_id=settings_row.conference_id, actor=staff)
    with pytest.raises(MeetingError, match=CLOSED):
        move_meeting(meeting_id=meeting.pk, to_slot_id=slots[1].pk, actor=staff)

    meeting.refresh_from_db()
    assert meeting.slot_id == slots[0].pk
