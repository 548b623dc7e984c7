"""Q&A fixtures: a live conference, viewers holding their personal-link session, moderators,
and the app under uvicorn (ASGI) in a thread for the event-stream tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from conferences.choices import ConferenceStatus
from tests.browser.fixtures import LiveServer
from tests.factories import make_conference, make_moderator, make_registration


@pytest.fixture
def live_conference(db):
    return make_conference(status=ConferenceStatus.LIVE, agenda_items=3)


@pytest.fixture
def viewer_factory(db) -> Callable[..., tuple]:
    """``viewer_factory(conference)`` → (registration, Client holding its link's session)."""
    counter = iter(range(10_000))

    def make(conference, **overrides):
        token = f"qa-token-{next(counter)}-{conference.pk}-abcdefghijklmnopqrstuvwxyz"
        registration = make_registration(conference=conference, token=token, **overrides)
        client = Client()
        response = client.get(f"/r/{token}/")
        assert response.status_code == 302, response.status_code
        return registration, client

    return make


@pytest.fixture
def viewer_session(viewer_factory) -> Callable[..., tuple]:
    """``viewer_session(conference)`` → (registration, the cookies of its link's session), for
    clients other than Django's (the event-stream reader)."""

    def make(conference):
        registration, client = viewer_factory(conference)
        return registration, {"sessionid": client.cookies["sessionid"].value}

    return make


@pytest.fixture
def moderator_client(db, roles) -> Client:
    client = Client()
    client.force_login(make_moderator())
    return client


@pytest.fixture
def asgi_server(transactional_db, settings) -> Iterator[LiveServer]:
    """uvicorn serving the app on the test database; cookies work over plain HTTP."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.QA_SSE_HEARTBEAT_SECONDS = 1
    settings.QA_SSE_POLL_SECONDS = 0.2
    server = LiveServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
