"""Absolute addresses that go into emails and calendar files."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from conferences.models import Conference


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def personal_link(token: str) -> str:
    """The link in the email; opening it exchanges the token for a session (see views)."""
    return absolute(reverse("registrations:access", kwargs={"token": token}))


def stream_page_url(conference: Conference) -> str:
    """Where participants watch (the stream page opens with the session the link gave)."""
    return absolute(reverse("qa:stream", kwargs={"slug": conference.slug}))


def conference_url(conference: Conference) -> str:
    return absolute(conference.get_absolute_url())
