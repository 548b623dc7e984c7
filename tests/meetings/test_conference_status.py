"""DOMAIN.md rule 1 and meetings: moving to follow-up or closing settles the meetings not yet
held, as staff decided, in the same transaction as the status change."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from conferences.choices import ConferenceStatus, RemainingMeetings
from conferences.exceptions import ConferenceError
from conferences.models import Conference, NoticeReference, StatusChange
from conferences.services import transition_conference
from conferences.signals import conference_status_changed
from dialogkonferanse.models import AuditEntry, OutboundEmail
from meetings.choices import EmailKind, EventKind, MeetingStatus, WaitingStatus
from meetings.exceptions import MeetingError
from meetings.models import Meeting, MeetingEvent, Slot, WaitingListEntry
from meetings.services import book_slot
from tests.factories import make_slot, make_staff

pytestmark = pytest.mark.django_db

NOTICE = "2026-104512"
CLOSE_UNDECIDED = (
    "2 booked meetings have not been held yet. Closing the dialogue cancels them: confirm the "
    "cancellation."
)
FOLLOW_UP_UNDECIDED = (
    "1 booked meeting has not been held yet. Decide whether to cancel it or to keep it for "
    "the follow-up."
)
KEEP_ON_CLOSE = (
    "Meetings cannot be kept when the dialogue closes: once the competition is announced, no "
    "one-to-one meeting may be held. Cancel them, or hold them during the follow-up before "
    "closing."
)
CLOSED_REASON = (
    "The dialogue is closed: the competition has been announced, so no more one-to-one "
    "meetings are held."
)


def _slots(conference) -> list[Slot]:
    return list(Slot.objects.filter(conference=conference).order_by("starts_at", "team__name"))


def _set_status(conference, status: str) -> None:
    Conference.objects.filter(pk=conference.pk).update(status=status)


@pytest.fixture
def booked(meeting_settings, supplier_factory):
    """Two future meetings booked by suppliers and one held yesterday; the conference is live."""
    conference = meeting_settings.conference
    slots = _slots(conference)
    future = [
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk) for slot in slots[:2]
    ]
    held = Meeting.objects.create(
        conference=conference,
        slot=make_slot(
            team=slots[0].team, starts_at=timezone.now() - dt.timedelta(days=1, hours=2)
        ),
        registration=supplier_factory(),
        notified_sequence=0,
    )
    _set_status(conference, ConferenceStatus.LIVE)
    return conference, future, held


def _close(conference, **kwargs):
    return transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.CLOSED,
        notice_reference=NOTICE,
        **kwargs,
    )


def _ics(email: OutboundEmail) -> str:
    [attachment] = email.attachments.all()
    return bytes(attachment.content).decode()


def test_transition_conference_close_with_cancel_cancels_meetings_not_yet_held(booked):
    conference, future, held = booked
    _set_status(conference, ConferenceStatus.FOLLOW_UP)
    staff = make_staff()

    _close(conference, actor=staff, remaining_meetings=RemainingMeetings.CANCEL)

    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.CLOSED
    for meeting in future:
        meeting.refresh_from_db()
        assert (meeting.status, meeting.sequence, meeting.notified_sequence) == (
            MeetingStatus.CANCELLED,
            1,
            1,
        )
        [cancel] = OutboundEmail.objects.filter(
            registration_id=meeting.registration_id, kind=EmailKind.CANCEL
        )
        ics = _ics(cancel)
        assert re.findall(r"^(METHOD|UID|SEQUENCE|STATUS):(.*?)\r?$", ics, re.M) == [
            ("METHOD", "CANCEL"),
            ("UID", f"meeting-{meeting.uid}@dialogkonferanse"),
            ("SEQUENCE", "1"),
            ("STATUS", "CANCELLED"),
        ]
        assert CLOSED_REASON in " ".join(cancel.body_text.split())
        assert "Book another time" not in cancel.body_text
        event = MeetingEvent.objects.get(meeting=meeting, kind=EventKind.CANCELLED)
        assert (event.actor, event.details["reason"]) == (staff, CLOSED_REASON)
    held.refresh_from_db()
    assert (held.status, held.sequence) == (MeetingStatus.BOOKED, 0)
    assert OutboundEmail.objects.filter(kind=EmailKind.CANCEL).count() == 2
    entry = AuditEntry.objects.get(action="cancel_remaining_meetings")
    assert (entry.actor, entry.conference_id, entry.note) == (
        staff,
        conference.pk,
        "2 meetings not yet held",
    )
    assert entry.changes == {
        "decision": [None, "cancel"],
        "status": [None, "closed"],
        "meetings": [None, sorted(m.pk for m in future)],
    }
    assert sorted(
        AuditEntry.objects.filter(action="cancel").values_list("object_id", flat=True)
    ) == sorted(str(m.pk) for m in future)


def test_transition_conference_close_without_decision_is_refused(booked):
    conference, _future, _held = booked
    _set_status(conference, ConferenceStatus.FOLLOW_UP)
    emails_before, audit_before = OutboundEmail.objects.count(), AuditEntry.objects.count()

    with pytest.raises(ConferenceError) as caught:
        _close(conference, actor=make_staff())

    assert str(caught.value) == CLOSE_UNDECIDED
    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.FOLLOW_UP
    assert (StatusChange.objects.count(), NoticeReference.objects.count()) == (0, 0)
    assert set(Meeting.objects.values_list("status", flat=True)) == {MeetingStatus.BOOKED}
    assert OutboundEmail.objects.count() == emails_before
    assert AuditEntry.objects.count() == audit_before


def test_transition_conference_follow_up_without_decision_is_refused(booked):
    conference, future, _held = booked
    Meeting.objects.filter(pk=future[1].pk).update(
        status=MeetingStatus.CANCELLED, cancelled_at=timezone.now()
    )

    with pytest.raises(ConferenceError) as caught:
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
        )

    assert str(caught.value) == FOLLOW_UP_UNDECIDED
    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.LIVE


def test_transition_conference_close_keeping_meetings_is_refused(booked):
    conference, _future, _held = booked
    _set_status(conference, ConferenceStatus.FOLLOW_UP)

    with pytest.raises(ConferenceError) as caught:
        _close(conference, actor=make_staff(), remaining_meetings=RemainingMeetings.KEEP)

    assert str(caught.value) == KEEP_ON_CLOSE
    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.FOLLOW_UP
    assert set(Meeting.objects.values_list("status", flat=True)) == {MeetingStatus.BOOKED}


def test_transition_conference_unknown_decision_is_refused(booked):
    conference, _future, _held = booked

    with pytest.raises(ConferenceError) as caught:
        transition_conference(
            conference_id=conference.pk,
            to_status=ConferenceStatus.FOLLOW_UP,
            actor=None,
            remaining_meetings="postpone",
        )

    assert str(caught.value) == "That is not a decision this status change can take."


def test_transition_conference_follow_up_keep_keeps_meetings_and_records_who_decided(booked):
    conference, future, _held = booked
    staff = make_staff()
    emails_before = OutboundEmail.objects.count()

    transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.FOLLOW_UP,
        actor=staff,
        remaining_meetings=RemainingMeetings.KEEP,
    )

    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.FOLLOW_UP
    assert set(Meeting.objects.values_list("status", flat=True)) == {MeetingStatus.BOOKED}
    assert OutboundEmail.objects.count() == emails_before
    entry = AuditEntry.objects.get(action="keep_remaining_meetings")
    assert (entry.actor, entry.changes["meetings"]) == (staff, [None, sorted(m.pk for m in future)])


def test_transition_conference_follow_up_cancel_offers_freed_slots_to_no_one(
    booked, supplier_factory
):
    conference, _future, _held = booked
    waiting = supplier_factory()
    WaitingListEntry.objects.create(conference=conference, registration=waiting, position=1)

    transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.FOLLOW_UP,
        actor=make_staff(),
        remaining_meetings=RemainingMeetings.CANCEL,
    )

    assert WaitingListEntry.objects.get(registration=waiting).status == WaitingStatus.WAITING
    assert not OutboundEmail.objects.filter(kind=EmailKind.OFFER).exists()
    cancel = OutboundEmail.objects.filter(kind=EmailKind.CANCEL).first()
    assert "The buyer has ended the one-to-one meetings of this dialogue." in cancel.body_text


def test_transition_conference_cancel_email_reason_in_supplier_language(booked, supplier_factory):
    conference, future, _held = booked
    Meeting.objects.filter(pk=future[0].pk).update(
        status=MeetingStatus.CANCELLED, cancelled_at=timezone.now()
    )
    nynorsk = supplier_factory(language="nn")
    book_slot(registration_id=nynorsk.pk, slot_id=_slots(conference)[3].pk)
    _set_status(conference, ConferenceStatus.FOLLOW_UP)

    _close(conference, actor=make_staff(), remaining_meetings=RemainingMeetings.CANCEL)

    email = OutboundEmail.objects.get(registration=nynorsk, kind=EmailKind.CANCEL)
    assert (
        "Dialogen er avslutta: konkurransen er kunngjord, så det vert ikkje halde fleire "
        "éin-til-éin-møte." in " ".join(email.body_text.split())
    )


def test_transition_conference_without_meetings_left_needs_no_decision(booked):
    conference, future, held = booked
    Meeting.objects.filter(pk__in=[m.pk for m in future]).update(
        status=MeetingStatus.CANCELLED, cancelled_at=timezone.now()
    )
    _set_status(conference, ConferenceStatus.FOLLOW_UP)

    _close(conference, actor=make_staff())

    held.refresh_from_db()
    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.CLOSED
    assert held.status == MeetingStatus.BOOKED
    assert not AuditEntry.objects.filter(action__endswith="_remaining_meetings").exists()


def test_transition_conference_failing_receiver_rolls_everything_back(booked):
    conference, _future, _held = booked
    _set_status(conference, ConferenceStatus.FOLLOW_UP)
    emails_before, audit_before = OutboundEmail.objects.count(), AuditEntry.objects.count()

    def fail(**kwargs):
        raise RuntimeError("receiver failed")

    conference_status_changed.connect(fail, dispatch_uid="test-failing-receiver")
    try:
        with pytest.raises(RuntimeError, match="receiver failed"):
            _close(conference, actor=make_staff(), remaining_meetings=RemainingMeetings.CANCEL)
    finally:
        conference_status_changed.disconnect(dispatch_uid="test-failing-receiver")

    conference.refresh_from_db()
    assert (conference.status, conference.closed_at) == (ConferenceStatus.FOLLOW_UP, None)
    assert (StatusChange.objects.count(), NoticeReference.objects.count()) == (0, 0)
    assert set(Meeting.objects.values_list("status", flat=True)) == {MeetingStatus.BOOKED}
    assert OutboundEmail.objects.count() == emails_before
    assert not MeetingEvent.objects.filter(kind=EventKind.CANCELLED).exists()
    assert AuditEntry.objects.count() == audit_before


# --- After commit, through a real worker and SMTP server -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_transition_conference_close_sends_each_cancel_once_after_commit(
    booked, smtp_server, celery_worker, wait_until
):
    conference, future, _held = booked
    smtp_server.wait_for(2)  # the two invitations
    wait_until(lambda: not OutboundEmail.objects.filter(status__in=["queued", "sending"]).exists())
    _set_status(conference, ConferenceStatus.FOLLOW_UP)

    _close(conference, actor=make_staff(), remaining_meetings=RemainingMeetings.CANCEL)

    smtp_server.wait_for(4)
    wait_until(lambda: not OutboundEmail.objects.filter(status__in=["queued", "sending"]).exists())
    cancels = {}
    for message in smtp_server.messages[2:]:
        [ics] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        content = ics.get_content()
        cancels[message["To"]] = re.findall(r"^(?:METHOD|UID|SEQUENCE):.*?(?=\r?$)", content, re.M)
    assert len(smtp_server.messages) == 4
    assert cancels == {
        m.registration.email: [
            "METHOD:CANCEL",
            f"UID:meeting-{m.uid}@dialogkonferanse",
            "SEQUENCE:1",
        ]
        for m in future
    }


# --- Races: the status change and suppliers' bookings ---------------------------------------


def _blocked_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_book_slot_during_closing_waits_and_is_refused(
    meeting_settings, supplier_factory, wait_until
):
    from django.db import transaction

    conference = meeting_settings.conference
    _set_status(conference, ConferenceStatus.FOLLOW_UP)
    slot = _slots(conference)[0]
    supplier = supplier_factory()
    closing = threading.Event()
    commit = threading.Event()
    outcome: list[str] = []

    def close() -> None:
        try:
            with transaction.atomic():
                _close(conference, actor=None)
                closing.set()
                commit.wait(timeout=15)
        finally:
            connection.close()

    def book() -> None:
        try:
            closing.wait(timeout=15)
            try:
                with translation.override("en"):
                    book_slot(registration_id=supplier.pk, slot_id=slot.pk)
                outcome.append("booked")
            except MeetingError as exc:
                outcome.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=close), threading.Thread(target=book)]
    for thread in threads:
        thread.start()
    closing.wait(timeout=15)
    wait_until(_blocked_on_a_lock)  # the booking waits for the closing to end
    commit.set()
    for thread in threads:
        thread.join(timeout=30)

    assert outcome == [
        "The dialogue is closed: the competition has been announced, so meetings can no "
        "longer be booked or changed."
    ]
    assert not Meeting.objects.exists()
    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.CLOSED
