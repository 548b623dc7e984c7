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

from dialogkonferanse.common.asgi import (
    LONG_LIVED,
    TRANSFERS_FILE,
    ASGIHandler,
    asgi_route,
    receives_large_body,
)
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


BOUNDARY = "dialogkonferanse-upload"


def _post_scope(path: str, length: int) -> dict[str, Any]:
    headers = [
        (b"host", b"testserver"),
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        (b"content-length", str(length).encode()),
    ]
    return {**_scope(path), "method": "POST", "headers": headers}


def _upload_body(size: int) -> bytes:
    """A form with one file field holding ``size`` bytes, as an admin form sends a recording."""
    return (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="recording.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def test_large_bodies_go_to_the_asgi_handler_by_their_headers(settings):
    limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    chunked = {**_scope("/admin/"), "headers": [(b"transfer-encoding", b"chunked")]}

    assert receives_large_body(_post_scope("/admin/", limit + 1))
    assert receives_large_body(chunked)
    assert not receives_large_body(_post_scope("/admin/", limit))
    assert not receives_large_body(_scope("/"))
    assert not receives_large_body({**_scope("/"), "headers": [(b"content-length", b"x")]})


@pytest.mark.django_db
def test_a_slow_large_upload_holds_no_page_thread(settings):
    # One page thread: under WSGI a slow upload (a recording sent through an admin form, which
    # the proxy streams through) would hold it until its last byte, and no page could be served.
    settings.WEB_THREADS = 1
    handler = ASGIHandler()
    body = _upload_body(settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1024)
    path = reverse("admin:login")

    async def scenario() -> tuple[int, int]:
        upload = ApplicationCommunicator(handler, _post_scope(path, len(body)))
        await upload.send_input({"type": "http.request", "body": body[:1024], "more_body": True})
        await asyncio.sleep(0.2)  # the upload is under way, the rest of its body not yet sent
        page_status, _headers, _body = await asyncio.wait_for(_get(handler, "/healthz/live"), 5)
        await upload.send_input({"type": "http.request", "body": body[1024:], "more_body": False})
        start = await upload.receive_output(10)
        while (await upload.receive_output(10)).get("more_body"):
            pass
        await upload.wait(10)
        return page_status, start["status"]

    page_status, upload_status = asyncio.run(scenario())

    assert page_status == 200
    assert upload_status == 403  # the whole body received, then refused (no CSRF token)
