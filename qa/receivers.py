"""Receivers of the domain signals of the apps below (README "Architecture"): how Q&A hears of
changes made elsewhere. Connected in ``QaConfig.ready()``; each calls one service.
"""

from __future__ import annotations

from typing import Any

from conferences.models import Conference

from .services import announce_conference_status


def announce_status_to_viewers(
    sender: Any, *, conference: Conference, to_status: str, **kwargs: Any
) -> None:
    """``conference_status_changed``: viewers' stream pages hear of the new status live (the
    countdown becomes the player without a reload). Sent inside the status change's
    transaction, so the event is published only if the change commits."""
    announce_conference_status(conference_id=conference.pk, status=to_status)
