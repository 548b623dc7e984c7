"""The session side of the personal link: opening ``/r/<token>/`` stores which registration this
browser may see, so the token never has to appear in another address, log line or Referer."""

from __future__ import annotations

from django.http import HttpRequest

from .models import Registration
from .selectors import get_registration_for_access

SESSION_KEY = "registration_access"


def grant_access(request: HttpRequest, registration: Registration) -> None:
    """Remember in this browser's session that it opened ``registration``'s current link."""
    request.session.cycle_key()  # a fresh session id: no fixation through a planted cookie
    entries = dict(request.session.get(SESSION_KEY, {}))
    entries[registration.conference.slug] = [registration.pk, registration.session_secret]
    request.session[SESSION_KEY] = entries


def registration_for_request(request: HttpRequest, *, slug: str) -> Registration | None:
    """The registration this session may see for the conference ``slug``, if its link is valid."""
    entry = request.session.get(SESSION_KEY, {}).get(slug)
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    registration_id, session_secret = entry
    if not isinstance(registration_id, int) or not isinstance(session_secret, str):
        return None
    return get_registration_for_access(
        registration_id=registration_id, session_secret=session_secret, conference_slug=slug
    )


def forget_access(request: HttpRequest, *, slug: str) -> None:
    entries = dict(request.session.get(SESSION_KEY, {}))
    if entries.pop(slug, None) is not None:
        request.session[SESSION_KEY] = entries
