"""Only strictly necessary cookies, and no third-party request before the viewer asks for it
(DOMAIN.md rule 12)."""

from __future__ import annotations

import re

import pytest
from django.urls import NoReverseMatch, reverse

from conferences.choices import ConferenceStatus
from tests.factories import make_conference, make_question

pytestmark = pytest.mark.django_db

# Strictly necessary: the CSRF token of a page that shows a form. Pages without a form set no
# cookie at all; never a session, language or any other cookie before the visitor acts.
FORM_COOKIES = {"csrftoken"}
THIRD_PARTY = re.compile(
    r"""<(?:iframe|script|img|link|video|audio|source|embed|object)\b[^>]*"""
    r"""\b(?:src|href|data)=["'](?:https?:)?//(?!testserver)""",
    re.IGNORECASE,
)


@pytest.fixture
def conference():
    conference = make_conference(
        status=ConferenceStatus.FOLLOW_UP,
        agenda_items=2,
        stream_provider="youtube",
        stream_url="https://www.youtube-nocookie.com/embed/abc123",
    )
    make_question(conference=conference, status="answered")
    return conference


def _public_pages(conference) -> list[str]:
    names = [
        ("conferences:list", []),
        ("conferences:archive", []),
        ("conferences:detail", [conference.slug]),
        ("qa:public_log", [conference.slug]),
        ("privacy", []),
        ("registrations:registered", [conference.slug]),
    ]
    urls = []
    for name, args in names:
        try:
            urls.append(reverse(name, args=args))
        except NoReverseMatch:
            continue
    return urls


def test_public_pages_set_only_necessary_cookies_and_load_nothing_third_party(client, conference):
    for url in _public_pages(conference):
        response = client.get(url)

        assert response.status_code == 200, url
        assert list(response.cookies) == [], url
        assert not THIRD_PARTY.search(response.content.decode()), url


@pytest.mark.parametrize("name", ["registrations:register", "registrations:resend"])
def test_form_pages_set_only_the_csrf_cookie(client, name):
    conference = make_conference()

    response = client.get(reverse(name, args=[conference.slug]))

    assert response.status_code == 200
    assert set(response.cookies) <= FORM_COOKIES
    assert "sessionid" not in response.cookies
    assert not THIRD_PARTY.search(response.content.decode())
