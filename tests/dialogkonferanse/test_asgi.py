"""The ASGI application's routes (dialogkonferanse/common/asgi.py): pages through Django's WSGI
handler on a fixed pool of threads, live event streams and file downloads through Django's
ASGI handler; and the middleware stack running synchronously for pages."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

from dialogkonferanse.common.asgi import LONG_LIVED, TRANSFERS_FILE, ASGIHandler, asgi_route
from dialogkonferanse.common.middleware import StaticFilesMiddleware


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _get(app: Any, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    communicator = ApplicationCommunicator(app, _scope(path))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        message = await communicator.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    return start["status"], dict(start["headers"]), body


class _Recording:
    """A WSGI app that notes the thread each request ran in, then lets Django answer."""

    def __init__(self, app: WSGIHandler) -> None:
        self.app = app
        self.threads: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        return self.app(environ, start_response)


def test_a_page_runs_in_the_pool_and_starts_no_thread_per_request(monkeypatch):
    handler = ASGIHandler()
    recording = _Recording(handler.pages.app)
    handler.pages.app = recording
    started: list[str] = []
    original_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        original_start(thread)

    async def pages() -> list[int]:
        statuses = []
        for _ in range(3):  # the pool's threads start with the first requests
            statuses.append((await _get(handler, "/healthz/live"))[0])
        monkeypatch.setattr(threading.Thread, "start", counting_start)
        for _ in range(20):
            statuses.append((await _get(handler, "/healthz/live"))[0])
        return statuses

    statuses = asyncio.run(pages())

    assert set(statuses) == {200}
    assert recording.threads
    assert all(name.startswith("WSGI") for name in recording.threads)
    # Django's ASGI handler started a thread for every request (its ThreadSensitiveContext).
    # The pool may still start one of its own threads (it starts them as it needs them, up to
    # its size), but nothing else, and never one per request.
    assert all(name.startswith("WSGI") for name in started)
    assert len(set(recording.threads) | set(started)) <= settings.WEB_THREADS


@pytest.mark.django_db
def test_static_files_are_served_in_sync_mode():
    handler = ASGIHandler()

    status, headers, body = asyncio.run(_get(handler, "/static/css/site.css"))
    missing, _headers, _body = asyncio.run(_get(handler, "/static/nope.css"))

    assert status == 200
    assert headers[b"content-type"].startswith(b"text/css")
    assert int(headers[b"content-length"]) == len(body) > 0
    assert headers[b"x-content-type-options"] == b"nosniff"  # the stack around it ran
    assert missing == 404


def test_the_static_middleware_is_sync_under_wsgi_and_async_under_asgi():
    async def inner_async(request: Any) -> Any:  # pragma: no cover - never called
        raise AssertionError

    sync = StaticFilesMiddleware(lambda request: None)
    asynchronous = StaticFilesMiddleware(inner_async)

    assert not iscoroutinefunction(sync)
    assert sync.is_async is False
    assert iscoroutinefunction(asynchronous)
    assert asynchronous.is_async is True


def test_streams_and_file_transfers_are_routed_to_the_asgi_handler():
    slug = "any"

    assert asgi_route(reverse("qa:viewer_events", kwargs={"slug": slug})) == LONG_LIVED
    assert asgi_route(reverse("qa:moderator_events", kwargs={"slug": slug})) == LONG_LIVED
    assert asgi_route(reverse("conferences:recording_video", args=[slug, 1])) == TRANSFERS_FILE
    assert asgi_route(reverse("conferences:document_file", args=[slug, 1])) == TRANSFERS_FILE
    assert asgi_route(reverse("conferences:package_download", args=[slug])) == TRANSFERS_FILE
    download = reverse("admin:conferences_conference_package_file_download", args=[1])
    assert asgi_route(download) == TRANSFERS_FILE
    chunks = reverse("admin:conferences_recording_upload", args=["any"])
    assert asgi_route(chunks) == TRANSFERS_FILE
    assert asgi_route(reverse("admin:conferences_document_upload", args=["any"])) == TRANSFERS_FILE
    for page in ("/", reverse("registrations:register", args=[slug]), "/static/css/site.css"):
        assert asgi_route(page) is None
