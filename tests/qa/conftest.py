"""Q&A fixtures: a live conference, viewers holding their personal-link session, moderators,
and the app under uvicorn (ASGI) in a thread for the event-stream tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from conferences.choices import ConferenceStatus
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
def moderator_client(db, roles) -> Client:
    client = Client()
    client.force_login(make_moderator())
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveAsgiServer:
    """The ASGI app under uvicorn in a daemon thread (its own event loop)."""

    def __init__(self) -> None:
        import uvicorn

        from dialogkonferanse.asgi import application

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def asgi_server(transactional_db, settings) -> Iterator[LiveAsgiServer]:
    """uvicorn serving the app on the test database; cookies work over plain HTTP."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.QA_SSE_HEARTBEAT_SECONDS = 1
    settings.QA_SSE_POLL_SECONDS = 0.2
    server = LiveAsgiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
