from __future__ import annotations

import pytest

from meetings.demo import seed_meetings
from meetings.models import Meeting, Slot
from tests.factories import make_conference, make_registration

pytestmark = pytest.mark.django_db


def test_seed_meetings_twice_books_each_opted_in_supplier_once():
    conference = make_conference(offers_one_to_one=True)
    suppliers = [make_registration(conference=conference, wants_one_to_one=True) for _ in range(3)]
    make_registration(conference=conference, wants_one_to_one=False)

    first = seed_meetings(conference)
    second = seed_meetings(conference)

    assert (first, second) == (3, 0)
    assert Slot.objects.filter(conference=conference).count() == 16  # 2 teams x 2 windows x 4
    assert sorted(Meeting.objects.values_list("registration_id", flat=True)) == [
        s.pk for s in suppliers
    ]
