from __future__ import annotations

import pytest

from meetings.choices import MeetingStatus
from meetings.demo import seed_meetings
from meetings.models import Meeting, MeetingEvent, Slot
from tests.factories import make_conference, make_registration

pytestmark = pytest.mark.django_db


def test_seed_meetings_twice_books_each_opted_in_demo_supplier_once():
    conference = make_conference(offers_one_to_one=True)
    suppliers = [make_registration(conference=conference, wants_one_to_one=True) for _ in range(3)]
    make_registration(conference=conference, wants_one_to_one=False)
    # Registered by hand (not one of the demo's addresses): never booked by the demo.
    make_registration(conference=conference, wants_one_to_one=True)
    emails = [s.email.upper() for s in suppliers]  # told apart by address, case-insensitively

    first = seed_meetings(conference, emails=emails)
    second = seed_meetings(conference, emails=emails)

    assert (first, second) == (3, 0)
    assert Slot.objects.filter(conference=conference).count() == 16  # 2 teams x 2 windows x 4
    assert sorted(Meeting.objects.values_list("registration_id", flat=True)) == [
        s.pk for s in suppliers
    ]


def test_seed_meetings_again_does_not_rebook_a_cancelled_demo_meeting():
    from meetings.services import cancel_meeting

    conference = make_conference(offers_one_to_one=True)
    supplier = make_registration(conference=conference, wants_one_to_one=True)
    seed_meetings(conference, emails=[supplier.email])
    cancel_meeting(registration_id=supplier.pk)  # the supplier cancels on their page
    events = MeetingEvent.objects.count()

    assert seed_meetings(conference, emails=[supplier.email]) == 0
    assert Meeting.objects.get().status == MeetingStatus.CANCELLED
    assert MeetingEvent.objects.count() == events  # not even the slots generated again
