from __future__ import annotations

import pytest

from conferences.choices import ConferenceStatus
from conferences.exceptions import ConferenceError
from conferences.models import Conference, NoticeReference, StatusChange
from conferences.services import save_conference, transition_conference
from tests.concurrency import at_once
from tests.factories import make_conference, make_staff


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [
        (ConferenceStatus.DRAFT, ConferenceStatus.PUBLISHED),
        (ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE),
        (ConferenceStatus.PUBLISHED, ConferenceStatus.DRAFT),
        (ConferenceStatus.LIVE, ConferenceStatus.FOLLOW_UP),
    ],
)
def test_transition_conference_allowed_step_is_recorded(start, target):
    conference = make_conference(status=start)
    staff = make_staff()

    transition_conference(conference_id=conference.pk, to_status=target, actor=staff)

    conference.refresh_from_db()
    assert conference.status == target
    assert list(StatusChange.objects.values_list("from_status", "to_status", "changed_by")) == [
        (start, target, staff.pk)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [
        (ConferenceStatus.DRAFT, ConferenceStatus.LIVE),
        (ConferenceStatus.DRAFT, ConferenceStatus.CLOSED),
        (ConferenceStatus.LIVE, ConferenceStatus.PUBLISHED),
        (ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED),
        (ConferenceStatus.FOLLOW_UP, ConferenceStatus.LIVE),
    ],
)
def test_transition_conference_forbidden_step_is_refused(start, target):
    conference = make_conference(status=start)

    with pytest.raises(ConferenceError) as exc:
        transition_conference(conference_id=conference.pk, to_status=target, actor=None)

    conference.refresh_from_db()
    assert conference.status == start
    assert str(exc.value) == (
        f"A conference cannot go from “{ConferenceStatus(start).label}” "
        f"to “{ConferenceStatus(target).label}”."
    )
    assert StatusChange.objects.count() == 0


@pytest.mark.django_db
def test_transition_conference_close_without_notice_is_refused():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)

    with pytest.raises(ConferenceError) as exc:
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.CLOSED, actor=None
        )

    assert str(exc.value) == "Enter the competition's notice reference to close the dialogue."
    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.FOLLOW_UP


@pytest.mark.django_db
def test_transition_conference_close_with_bad_notice_is_refused():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)

    with pytest.raises(ConferenceError):
        transition_conference(
            conference_id=conference.pk,
            to_status=ConferenceStatus.CLOSED,
            actor=None,
            notice_reference="2026-12",
        )

    assert NoticeReference.objects.count() == 0


@pytest.mark.django_db
def test_transition_conference_close_records_notice_reference():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)

    transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.CLOSED,
        actor=None,
        notice_reference=" 2026-104512 ",
    )

    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.CLOSED
    assert conference.closed_at is not None
    assert list(conference.notice_references.values_list("reference", flat=True)) == ["2026-104512"]
    assert StatusChange.objects.get().notice_reference == "2026-104512"


@pytest.mark.django_db
def test_transition_conference_invalid_conference_is_refused():
    conference = make_conference(status=ConferenceStatus.DRAFT)
    Conference.objects.filter(pk=conference.pk).update(stream_url="https://example.org/live")

    with pytest.raises(ConferenceError) as exc:
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.PUBLISHED, actor=None
        )

    assert "Choose the provider of the stream address." in str(exc.value)


@pytest.mark.django_db
def test_save_conference_changed_start_bumps_calendar_sequence():
    conference = make_conference()
    conference.title = "Ny tittel"
    save_conference(conference=conference, changed_fields={"title"}, is_new=False)
    assert conference.calendar_sequence == 0

    conference.starts_at = conference.starts_at.replace(minute=30)
    save_conference(conference=conference, changed_fields={"starts_at"}, is_new=False)

    conference.refresh_from_db()
    assert conference.calendar_sequence == 1


@pytest.mark.django_db(transaction=True)
def test_transition_conference_concurrent_publish_has_one_winner():
    conference = make_conference(status=ConferenceStatus.DRAFT)

    def publish() -> str:
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.PUBLISHED, actor=None
        )
        return "won"

    outcomes = [
        "refused" if isinstance(o, ConferenceError) else o for o in at_once(publish, publish)
    ]

    assert sorted(outcomes) == ["refused", "won"]
    assert StatusChange.objects.filter(conference=conference).count() == 1


@pytest.mark.django_db
def test_save_conference_does_not_undo_a_status_change_made_meanwhile():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    form_copy = Conference.objects.get(pk=conference.pk)  # staff opened the edit form
    transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.CLOSED,
        actor=None,
        notice_reference="2026-104512",
    )

    form_copy.title = "Ny tittel"
    save_conference(conference=form_copy, changed_fields={"title"}, is_new=False)

    conference.refresh_from_db()
    assert (conference.title, conference.status) == ("Ny tittel", ConferenceStatus.CLOSED)
    assert conference.closed_at is not None
