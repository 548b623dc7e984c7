"""A supplier asks for a one-to-one meeting after registering."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from registrations.exceptions import RegistrationError
from registrations.models import Registration
from registrations.services import record_one_to_one_wish

from .. import emails
from ..choices import ACTIVE_WAITING, AllocationMode, EventKind, MeetingStatus
from ..exceptions import MeetingError
from ..models import Meeting, WaitingListEntry
from ..selectors import free_slots
from ._common import (
    _ensure_supplier_may_act,
    _lock_settings_then_registration,
    _now,
    _record,
)
from .waiting import _next_position


def request_meeting(
    *, registration_id: int, topics: str, now: dt.datetime | None = None
) -> Registration:
    """The registered supplier asks for a meeting while booking is open, under the rules of a
    wish made at registration: with staff allocation the next allocation run considers it;
    in self-service the supplier chooses a time, and with no time free joins the end of the
    waiting list at once (never a silent cut-off).

    Locks the meeting setup row (waiting-list positions are handed out one at a time), then
    the registration, then the conference FOR SHARE (``_ensure_supplier_may_act``). Side
    effects: a log entry (and a waiting-list entry) and an email saying what happens next.
    """
    now = _now(now)
    with transaction.atomic():
        meeting_settings, registration = _lock_settings_then_registration(registration_id)
        conference_id = registration.conference_id
        _ensure_supplier_may_act(registration, meeting_settings, now=now, wish_required=False)
        if registration.wants_one_to_one:
            raise MeetingError(_("You have already asked for a one-to-one meeting."))
        try:
            record_one_to_one_wish(registration, topics=topics)
        except RegistrationError as exc:
            raise MeetingError(str(exc)) from exc
        _record(
            conference_id=conference_id,
            kind=EventKind.REQUESTED,
            registration_id=registration.pk,
            now=now,
        )
        self_service = meeting_settings.allocation_mode == AllocationMode.SELF_SERVICE
        if (
            self_service
            and not free_slots(
                conference_id=conference_id, registration_id=registration.pk, now=now
            ).exists()
            and not Meeting.objects.filter(
                registration=registration, status=MeetingStatus.BOOKED
            ).exists()
            and not WaitingListEntry.objects.filter(
                registration=registration, status__in=ACTIVE_WAITING
            ).exists()
        ):
            entry = WaitingListEntry.objects.create(
                conference_id=conference_id,
                registration=registration,
                position=_next_position(conference_id),
            )
            _record(
                conference_id=conference_id,
                kind=EventKind.WAITLISTED,
                registration_id=registration.pk,
                details={"position": entry.position},
                now=now,
            )
        emails.queue_request_received(registration, now=now)
    return registration
