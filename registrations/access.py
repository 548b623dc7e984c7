"""The session side of the personal links: opening ``/r/<token>/`` (any of the registration's
working links) stores which registration this browser may see, so the token never has to
appear in another address, log line or Referer; and the one gate
(``personal_link_required``) that every page behind the link, in every app, passes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from .models import Registration
from .selectors import get_registration_for_access

SESSION_KEY = "registration_access"


def grant_access(request: HttpRequest, registration: Registration) -> None:
    """Remember in this browser's session that it opened one of ``registration``'s links."""
    request.session.cycle_key()  # a fresh session id: no fixation through a planted cookie
    entries = dict(request.session.get(SESSION_KEY, {}))
    entries[registration.conference.slug] = [registration.pk, registration.session_secret]
    request.session[SESSION_KEY] = entries


def registration_for_request(
    request: HttpRequest, *, slug: str, active_only: bool = False
) -> Registration | None:
    """The registration this session may see for the conference ``slug``, if its link is valid
    (and, with ``active_only``, if it is not cancelled)."""
    entry = request.session.get(SESSION_KEY, {}).get(slug)
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    registration_id, session_secret = entry
    if not isinstance(registration_id, int) or not isinstance(session_secret, str):
        return None
    registration = get_registration_for_access(
        registration_id=registration_id, session_secret=session_secret, conference_slug=slug
    )
    if registration is None or (active_only and not registration.is_active):
        return None
    return registration


def forget_access(request: HttpRequest, *, slug: str) -> None:
    entries = dict(request.session.get(SESSION_KEY, {}))
    if entries.pop(slug, None) is not None:
        request.session[SESSION_KEY] = entries


def refuse_without_access(request: HttpRequest, slug: str) -> HttpResponse:
    """403 with the page that offers to resend the link; the session forgets its stale entry."""
    forget_access(request, slug=slug)
    return render(
        request,
        "registrations/no_access.html",
        {"resend_url": reverse("registrations:resend", kwargs={"slug": slug})},
        status=403,
    )


def personal_link_required(
    view: Callable[..., HttpResponse] | None = None,
    *,
    active_only: bool = False,
    refuse: Callable[[HttpRequest, str], HttpResponse] = refuse_without_access,
) -> Any:
    """The one gate in front of every page behind the personal link.

    The view is called as ``view(request, registration, *args, **kwargs)`` with the registration
    this session opened for the URL's ``slug`` (the slug itself is not passed on: it is
    ``registration.conference.slug``). Without one (no link opened, links revoked since,
    another conference's registration, and with ``active_only`` a cancelled one) it answers
    ``refuse(request, slug)`` instead, and the view never runs.
    """

    def decorate(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, slug: str, **kwargs: Any) -> HttpResponse:
            registration = registration_for_request(request, slug=slug, active_only=active_only)
            if registration is None:
                return refuse(request, slug)
            return func(request, registration, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
