"""The ASGI handler: Django's, except that a long-lived response (a live event stream) does not
keep a thread of its own for its whole life.

Django runs each request in a ``ThreadSensitiveContext``: the first synchronous code the request
runs (the sync middleware block, a ``sync_to_async`` call) gets a worker thread of its own,
kept until the response has been sent. For a page that is milliseconds; for an event stream it
is the whole conference, so 1,000 viewers held 1,000 idle threads per process, about 100 kB of
memory each (measured by bench/bench_qa_fanout.py). A view marked ``@long_lived`` runs without
that context: its synchronous parts (a few milliseconds while the stream starts) run on
asgiref's one shared thread of the process, and the stream itself lives in the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.urls import Resolver404, resolve

View = TypeVar("View", bound=Callable[..., Any])


def long_lived(view: View) -> View:
    """Mark an (async) view whose response streams for a long time (see the module)."""
    view.long_lived = True  # type: ignore[attr-defined]
    return view


def _is_long_lived(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return bool(getattr(match.func, "long_lived", False))


class ASGIHandler(DjangoASGIHandler):
    """Django's handler; requests for ``@long_lived`` views skip the per-request thread."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _is_long_lived(scope.get("path", "")):
            await self.handle(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def get_asgi_application() -> ASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with this handler."""
    import django

    django.setup(set_prefix=False)
    return ASGIHandler()
