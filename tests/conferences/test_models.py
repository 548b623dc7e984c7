from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from conferences.models import AgendaItem, NoticeReference
from tests.factories import make_conference

pytestmark = pytest.mark.django_db


def test_conference_clean_end_before_start_is_refused():
    conference = make_conference()
    conference.ends_at = conference.starts_at - dt.timedelta(minutes=1)

    with pytest.raises(ValidationError) as exc:
        conference.full_clean()

    assert exc.value.message_dict["ends_at"] == ["The conference must end after it starts."]


def test_conference_clean_registration_closing_after_end_is_refused():
    conference = make_conference()
    conference.registration_closes_at = conference.ends_at + dt.timedelta(minutes=1)

    with pytest.raises(ValidationError) as exc:
        conference.full_clean()

    assert exc.value.message_dict["registration_closes_at"] == [
        "Registration must close no later than the end of the conference."
    ]


def test_conference_clean_registration_closing_before_opening_is_refused():
    conference = make_conference()
    conference.registration_closes_at = conference.registration_opens_at - dt.timedelta(hours=1)

    with pytest.raises(ValidationError) as exc:
        conference.full_clean()

    assert (
        "Registration must close after it opens."
        in exc.value.message_dict["registration_closes_at"]
    )


def test_conference_constraint_end_before_start_is_refused_by_database():
    conference = make_conference()

    with pytest.raises(IntegrityError), transaction.atomic():
        type(conference).objects.filter(pk=conference.pk).update(ends_at=conference.starts_at)


def test_agenda_item_outside_conference_is_refused():
    conference = make_conference()
    item = AgendaItem(
        conference=conference,
        starts_at=conference.ends_at + dt.timedelta(minutes=5),
        title="Etter slutt",
    )

    with pytest.raises(ValidationError) as exc:
        item.full_clean()

    assert exc.value.message_dict["starts_at"] == [
        "The item must lie within the conference's start and end."
    ]


@pytest.mark.parametrize("reference", ["2026-104512", "2025-000001"])
def test_notice_reference_valid_format_is_accepted(reference):
    notice = NoticeReference(conference=make_conference(), reference=reference)

    notice.full_clean()

    assert notice.reference == reference


@pytest.mark.parametrize("reference", ["26-104512", "2026-10451", "2026/104512", "1999-123456", ""])
def test_notice_reference_invalid_format_is_refused(reference):
    notice = NoticeReference(conference=make_conference(), reference=reference)

    with pytest.raises(ValidationError) as exc:
        notice.full_clean()

    assert "reference" in exc.value.message_dict


def test_notice_reference_same_twice_for_one_conference_is_refused():
    conference = make_conference()
    NoticeReference.objects.create(conference=conference, reference="2026-104512")

    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeReference.objects.create(conference=conference, reference="2026-104512")

    other = make_conference()
    NoticeReference.objects.create(conference=other, reference="2026-104512")
    assert NoticeReference.objects.filter(reference="2026-104512").count() == 2
