"""Receivers of the domain signals of the apps below (ARCHITECTURE.md): how meetings hear of
changes made elsewhere. Connected in ``MeetingsConfig.ready()``; each calls one service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from conferences.choices import SETTLES_REMAINING_MEETINGS
from conferences.exceptions import ConferenceError
from conferences.models import Conference
from registrations.models import Registration

from .exceptions import MeetingError
from .services import release_meeting_for_registration, settle_remaining_meetings


def settle_meetings_on_status_change(
    sender: Any,
    *,
    conference: Conference,
    to_status: str,
    actor: AbstractBaseUser | None,
    remaining_meetings: str,
    now: dt.datetime,
    **kwargs: Any,
) -> None:
    """``conference_status_changed``: moving to follow-up or closing cancels or keeps the
    meetings not yet held, as staff decided; a refusal becomes the status change's own error
    (and rolls it back)."""
    if to_status not in SETTLES_REMAINING_MEETINGS:
        return
    try:
        settle_remaining_meetings(
            conference_id=conference.pk,
            to_status=to_status,
            decision=remaining_meetings,
            actor=actor,
            now=now,
        )
    except MeetingError as exc:
        raise ConferenceError(str(exc)) from exc


def release_meeting_on_cancellation(
    sender: Any, *, registration: Registration, now: dt.datetime, **kwargs: Any
) -> None:
    """``registration_cancelled``: the supplier's one-to-one meeting is cancelled (METHOD:CANCEL
    email, the slot offered on) and its waiting-list place given up, in the cancellation's
    transaction; an error here rolls the cancellation back."""
    release_meeting_for_registration(registration_id=registration.pk, now=now)
