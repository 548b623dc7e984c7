"""Emails that run on a schedule: reminders, and invitations not yet sent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from conferences.choices import ConferenceStatus
from conferences.services import lock_conference_for_share

from .. import emails
from ..choices import (
    EmailKind,
    MeetingStatus,
)
from ..models import (
    Meeting,
    MeetingSettings,
)
from ..selectors import meetings_awaiting_notification, meetings_due_reminder, meetings_still_on
from ._common import (
    _now,
    _settings,
)

# --- Emails that run on a schedule ----------------------------------------------------------

REMINDERS = (
    (EmailKind.REMINDER_DAY, dt.timedelta(days=1)),
    (EmailKind.REMINDER_HOUR, dt.timedelta(hours=1)),
)


def send_meeting_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue the due 24-hour and 1-hour reminders; returns how many were looked at.

    Once-only comes from the outbox key (meeting, kind, sequence): running twice, or two beat
    schedulers, sends nothing again. The day reminder stops once the hour reminder is due.
    Never for a closed dialogue, a cancelled or anonymised registration or a cancelled meeting:
    each is checked again under the conference's share lock and the meeting's row lock, so a
    closing or a cancellation running at the same time is waited for.
    """
    now = _now(now)
    queued = 0
    day_kind, day_lead = REMINDERS[0]
    hour_kind, hour_lead = REMINDERS[1]
    batches = (
        (day_kind, meetings_due_reminder(now=now, lead=day_lead, not_within=hour_lead)),
        (hour_kind, meetings_due_reminder(now=now, lead=hour_lead)),
    )
    for kind, queryset in batches:
        for meeting in queryset.iterator(chunk_size=200):
            with transaction.atomic():
                locked = _lock_meeting_still_on(meeting)
                if locked is None:
                    continue
                emails.queue_reminder(locked, kind=kind)
            queued += 1
    return queued


def _lock_meeting_still_on(meeting: Meeting) -> Meeting | None:
    """The meeting FOR UPDATE if it may still take place, read after the conference FOR SHARE
    (the lock order of a status change: conference, then meetings)."""
    conference = lock_conference_for_share(meeting.conference_id)
    if conference is None or conference.status == ConferenceStatus.CLOSED:
        return None
    return meetings_still_on().select_for_update(of=("self",)).filter(pk=meeting.pk).first()


def send_pending_invitations(*, conference_id: int | None = None, limit: int = 500) -> int:
    """Email every booked meeting whose current version has not been sent (allocations).

    One transaction per meeting; locks the meeting row (SKIP LOCKED), re-checks, queues the
    REQUEST and records ``notified_sequence``. Idempotent; returns how many were queued.
    """
    sent = 0
    ids = list(
        meetings_awaiting_notification(conference_id=conference_id).values_list("pk", flat=True)[
            :limit
        ]
    )
    agendas: dict[int, MeetingSettings] = {}
    for meeting_id in ids:
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(
                    "slot", "slot__team", "registration", "conference", "conference__buyer"
                )
                .filter(pk=meeting_id, status=MeetingStatus.BOOKED)
                .first()
            )
            if meeting is None or meeting.notified_sequence >= meeting.sequence:
                continue
            if meeting.conference_id not in agendas:
                agendas[meeting.conference_id] = _settings(meeting.conference_id)
            emails.queue_invitation(meeting, agenda=agendas[meeting.conference_id])
            Meeting.objects.filter(pk=meeting.pk).update(notified_sequence=meeting.sequence)
            sent += 1
    return sent
