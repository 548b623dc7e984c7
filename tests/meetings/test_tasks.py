"""Beat tasks through a real Celery worker and a real SMTP server."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from dialogkonferanse.models import OutboundEmail
from meetings.allocation import allocate_meetings
from meetings.choices import AllocationMode, EmailKind
from meetings.models import Meeting, Slot
from meetings.tasks import send_reminders_task
from tests.factories import make_meeting_settings, make_slot

pytestmark = pytest.mark.django_db(transaction=True)


def test_reminder_sent_once_when_periodic_task_runs_twice(
    conference, supplier_factory, smtp_server, celery_worker, wait_until
):
    team = make_meeting_settings(conference=conference).teams.first()
    slot = make_slot(team=team, starts_at=timezone.now() + dt.timedelta(hours=23))
    supplier = supplier_factory(email="kari@fjord.example")
    Meeting.objects.create(
        conference=conference,
        slot=slot,
        registration=supplier,
        video_url="https://meet.jit.si/Dialog-test",
        booked_at=timezone.now() - dt.timedelta(days=3),
        notified_sequence=0,
    )

    send_reminders_task.delay()
    send_reminders_task.delay()
    smtp_server.wait_for(1)
    wait_until(lambda: not OutboundEmail.objects.filter(status__in=["queued", "sending"]).exists())
    time.sleep(0.5)  # room for a wrongly queued second email to arrive

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "kari@fjord.example"
    assert "Tomorrow: your one-to-one meeting" in message["Subject"]
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == [EmailKind.REMINDER_DAY]


def test_allocation_invitations_sent_by_worker_after_commit(
    conference, supplier_factory, smtp_server, celery_worker, wait_until
):
    make_meeting_settings(conference=conference, teams=1, allocation_mode=AllocationMode.STAFF)
    from meetings.services import generate_slots

    generate_slots(conference_id=conference.pk)
    suppliers = [supplier_factory() for _ in range(3)]

    allocate_meetings(conference_id=conference.pk)

    messages = smtp_server.wait_for(3)
    assert sorted(m["To"] for m in messages) == sorted(s.email for s in suppliers)
    for message in messages:
        [ics] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert b"METHOD:REQUEST" in ics.get_content().encode()
    wait_until(lambda: set(Meeting.objects.values_list("notified_sequence", flat=True)) == {0})
    assert Slot.objects.filter(meetings__isnull=False).count() == 3
