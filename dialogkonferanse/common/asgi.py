"""The ASGI application: pages go to Django's WSGI handler on a pool of threads; live event
streams and file transfers go to Django's ASGI handler.

**Pages.** Django's ASGI handler runs each request in a ``ThreadSensitiveContext``: a thread
started for that request and stopped after it, the synchronous middleware entered from the
event loop, the view's handler called back on the loop, and the view run on the thread again.
Under a registration burst that was a new thread and three hand-overs per page (py-spy on
``bench/bench_registration_burst.py``). Every page view here is synchronous, so a page is served
as under a WSGI server: one hand-over to a thread of a fixed pool (a2wsgi, the maintained
WSGI-in-ASGI adapter), Django's synchronous handler with its middleware and view, and the
response streamed back through the loop. ``WEB_THREADS`` threads per process (settings) bound
how many pages a process works on at once, as gunicorn's threads would.

**Live event streams** (views marked ``@long_lived``) run on the event loop through Django's
ASGI handler, without the per-request thread: their synchronous parts (a few milliseconds
while the stream starts) run on asgiref's one shared thread of the process, and the stream
itself lives in the loop, so 1,000 viewers hold no thread (measured by
bench/bench_qa_fanout.py).

**File transfers** (views marked ``@transfers_file``: recordings, documents and the package ZIP
downloaded, chunks of resumable uploads received) go through Django's ASGI handler, which
receives a request body whole (spooled to a temporary file) before the view runs and sends an
asynchronous response body (``conferences/ranged.py``): a slow transfer of a large file holds no
thread of the pool. So does every other request whose body is larger than Django keeps in memory
(``FILE_UPLOAD_MAX_MEMORY_SIZE``) or of unknown length, such as a recording sent through an admin
form (the proxy streams those through, ``dialogkonferanse/deploy/nginx.conf.template``): under
WSGI the page thread would wait for every byte of a slow upload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.urls import Resolver404, resolve

View = TypeVar("View", bound=Callable[..., Any])

LONG_LIVED = "long_lived"
TRANSFERS_FILE = "transfers_file"


def long_lived(view: View) -> View:
    """Mark an (async) view whose response streams for a long time (see the module)."""
    view.asgi_route = LONG_LIVED  # type: ignore[attr-defined]
    return view


def transfers_file(view: View) -> View:
    """Mark a view whose request or response body may be a large file (see the module)."""
    view.asgi_route = TRANSFERS_FILE  # type: ignore[attr-defined]
    return view


def asgi_route(path: str) -> str | None:
    """``LONG_LIVED``, ``TRANSFERS_FILE`` or ``None`` (a page) for the view ``path`` resolves to."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return getattr(match.func, "asgi_route", None)


def receives_large_body(scope: dict[str, Any]) -> bool:
    """Whether the request's body is larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` or of unknown
    length (chunked), by its headers."""
    headers = dict(scope.get("headers") or ())
    length = headers.get(b"content-length")
    if length is None:
        return b"chunked" in headers.get(b"transfer-encoding", b"").lower()
    try:
        return int(length) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    except ValueError:
        return False  # Django answers a malformed length


class ASGIHandler(DjangoASGIHandler):
    """Pages through WSGI on a thread pool; streams and file transfers through Django's ASGI."""

    def __init__(self) -> None:
        super().__init__()
        self.pages = WSGIMiddleware(WSGIHandler(), workers=settings.WEB_THREADS)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        route = asgi_route(scope.get("path", ""))
        if route == LONG_LIVED:
            await self.handle(scope, receive, send)
        elif route == TRANSFERS_FILE or receives_large_body(scope):
            await super().__call__(scope, receive, send)
        else:
            await self.pages(scope, receive, send)


def get_asgi_application() -> ASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with this handler."""
    import django

    django.setup(set_prefix=False)
    return ASGIHandler()
