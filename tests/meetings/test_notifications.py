from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from dialogkonferanse.models import OutboundEmail
from meetings.choices import EmailKind, MeetingStatus
from meetings.models import Meeting
from meetings.services import send_meeting_reminders, send_pending_invitations
from meetings.tasks import send_reminders_task
from registrations.models import Registration
from tests.factories import make_meeting_settings, make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_factory(conference, supplier_factory):
    team = make_meeting_settings(conference=conference).teams.first()

    def make(*, starts_in: dt.timedelta, booked_before_start: dt.timedelta, **overrides):
        starts = timezone.now().replace(microsecond=0) + starts_in
        values = {
            "conference": conference,
            "slot": make_slot(team=team, starts_at=starts),
            "registration": supplier_factory(),
            "booked_at": starts - booked_before_start,
            "notified_sequence": 0,
            "video_url": "https://meet.jit.si/Dialog-0123456789abcdef",
        }
        values.update(overrides)
        return Meeting.objects.create(**values)

    return make


def _kinds() -> list[tuple[int, str]]:
    return sorted(OutboundEmail.objects.values_list("registration_id", "kind"))


def test_reminders_day_before_and_hour_before_each_once(meeting_factory):
    tomorrow = meeting_factory(
        starts_in=dt.timedelta(hours=20), booked_before_start=dt.timedelta(days=3)
    )
    soon = meeting_factory(
        starts_in=dt.timedelta(minutes=45), booked_before_start=dt.timedelta(days=3)
    )
    later = meeting_factory(
        starts_in=dt.timedelta(days=2), booked_before_start=dt.timedelta(days=3)
    )

    first = send_meeting_reminders()
    second = send_meeting_reminders()

    assert (first, second) == (2, 2)  # looked at twice, queued once (outbox key)
    assert _kinds() == sorted(
        [
            (tomorrow.registration_id, EmailKind.REMINDER_DAY),
            (soon.registration_id, EmailKind.REMINDER_HOUR),
        ]
    )
    assert not OutboundEmail.objects.filter(registration=later.registration).exists()
    reminder = OutboundEmail.objects.get(kind=EmailKind.REMINDER_HOUR)
    assert "https://meet.jit.si/Dialog-0123456789abcdef" in reminder.body_text
    assert "starts in one hour" in reminder.body_text


def test_reminder_skipped_for_meeting_booked_after_it_fell_due(meeting_factory):
    meeting_factory(starts_in=dt.timedelta(hours=5), booked_before_start=dt.timedelta(hours=6))

    send_meeting_reminders()

    assert _kinds() == []


def test_moved_meeting_gets_reminder_for_its_new_version(meeting_factory):
    meeting = meeting_factory(
        starts_in=dt.timedelta(hours=20), booked_before_start=dt.timedelta(days=3)
    )
    send_meeting_reminders()
    Meeting.objects.filter(pk=meeting.pk).update(sequence=1, notified_sequence=1)

    send_meeting_reminders()

    assert list(OutboundEmail.objects.order_by("pk").values_list("idempotency_key", flat=True)) == [
        f"meeting:{meeting.pk}:meeting_reminder_day:0",
        f"meeting:{meeting.pk}:meeting_reminder_day:1",
    ]


def test_send_pending_invitations_is_idempotent(meeting_factory):
    pending = meeting_factory(
        starts_in=dt.timedelta(days=4),
        booked_before_start=dt.timedelta(days=1),
        notified_sequence=-1,
    )
    meeting_factory(starts_in=dt.timedelta(days=5), booked_before_start=dt.timedelta(days=1))

    assert send_pending_invitations() == 1
    assert send_pending_invitations() == 0

    pending.refresh_from_db()
    assert pending.notified_sequence == 0
    assert _kinds() == [(pending.registration_id, EmailKind.INVITE)]


def _cancel_registration(meeting) -> None:
    Registration.objects.filter(pk=meeting.registration_id).update(cancelled_at=timezone.now())


def _anonymise_registration(meeting) -> None:
    Registration.objects.filter(pk=meeting.registration_id).update(anonymised_at=timezone.now())


def _close_conference(meeting) -> None:
    Conference.objects.filter(pk=meeting.conference_id).update(status=ConferenceStatus.CLOSED)


def _cancel_meeting(meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.CANCELLED, cancelled_at=timezone.now()
    )


@pytest.mark.parametrize(
    "stop",
    [_close_conference, _cancel_registration, _anonymise_registration, _cancel_meeting],
    ids=["closed conference", "cancelled registration", "anonymised registration", "cancelled"],
)
def test_send_reminders_task_meeting_no_longer_on_sends_nothing(meeting_factory, stop):
    tomorrow = meeting_factory(
        starts_in=dt.timedelta(hours=20), booked_before_start=dt.timedelta(days=3)
    )
    soon = meeting_factory(
        starts_in=dt.timedelta(minutes=45), booked_before_start=dt.timedelta(days=3)
    )
    for meeting in (tomorrow, soon):
        stop(meeting)

    looked_at = send_reminders_task()

    assert (looked_at, _kinds()) == (0, [])


def test_send_reminders_task_follow_up_conference_still_reminds(meeting_factory):
    """Meetings kept for the follow-up are held, so their suppliers are reminded."""
    tomorrow = meeting_factory(
        starts_in=dt.timedelta(hours=20), booked_before_start=dt.timedelta(days=3)
    )
    Conference.objects.filter(pk=tomorrow.conference_id).update(status=ConferenceStatus.FOLLOW_UP)

    send_reminders_task()

    assert _kinds() == [(tomorrow.registration_id, EmailKind.REMINDER_DAY)]


@pytest.mark.django_db(transaction=True)
def test_send_meeting_reminders_waits_for_a_closing_and_sends_nothing(meeting_factory, wait_until):
    from django.db import connection, transaction

    from conferences.choices import RemainingMeetings
    from conferences.services import transition_conference

    meeting = meeting_factory(
        starts_in=dt.timedelta(hours=20), booked_before_start=dt.timedelta(days=3)
    )
    Conference.objects.filter(pk=meeting.conference_id).update(status=ConferenceStatus.FOLLOW_UP)
    closing, commit = threading.Event(), threading.Event()
    queued: list[int] = []

    def close() -> None:
        try:
            with transaction.atomic():
                transition_conference(
                    conference_id=meeting.conference_id,
                    to_status=ConferenceStatus.CLOSED,
                    actor=None,
                    notice_reference="2026-104512",
                    remaining_meetings=RemainingMeetings.CANCEL,
                )
                closing.set()
                commit.wait(timeout=15)
        finally:
            connection.close()

    def remind() -> None:
        try:
            closing.wait(timeout=15)
            queued.append(send_meeting_reminders())
        finally:
            connection.close()

    def reminder_waits() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] > 0

    threads = [threading.Thread(target=close), threading.Thread(target=remind)]
    for thread in threads:
        thread.start()
    closing.wait(timeout=15)
    wait_until(reminder_waits)
    commit.set()
    for thread in threads:
        thread.join(timeout=30)

    assert queued == [0]
    assert _kinds() == [(meeting.registration_id, EmailKind.CANCEL)]


@pytest.mark.parametrize(
    "stop",
    [_close_conference, _cancel_registration, _anonymise_registration],
    ids=["closed conference", "cancelled registration", "anonymised registration"],
)
def test_send_pending_invitations_meeting_no_longer_on_sends_nothing(meeting_factory, stop):
    pending = meeting_factory(
        starts_in=dt.timedelta(days=4),
        booked_before_start=dt.timedelta(days=1),
        notified_sequence=-1,
    )
    stop(pending)

    assert (send_pending_invitations(), _kinds()) == (0, [])
