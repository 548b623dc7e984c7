"""Prometheus metrics kept while requests are served, and the middleware that times them.

Metrics live in prometheus-client's default registry. When ``PROMETHEUS_MULTIPROC_DIR`` is set in
the environment before the process starts (several gunicorn or uvicorn workers), the client
writes each process's values to files in that directory and ``/metrics`` adds them up over the
workers (``dialogkonferanse/metrics.py``); otherwise values stay in this process's memory.

Labels are bounded: the URL pattern's name (never the raw path), the method (unknown methods
count as ``other``) and the status class.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from prometheus_client import Gauge, Histogram

from dialogkonferanse.common.jsonlog import REQUEST_LOGGER
from dialogkonferanse.common.middleware import SyncAndAsyncMiddleware

request_logger = logging.getLogger(REQUEST_LOGGER)

REQUEST_LATENCY = Histogram(
    "dialogkonferanse_http_request_duration_seconds",
    "Time from receiving a request to the start of its response (streams: to their first "
    "headers), by URL pattern name, method and status class.",
    ["view", "method", "status"],
)

# Connected clients of the live-update stream of the viewers' page, in this process; with
# several workers the sum over the live ones (a worker that exits is removed by the server's
# child-exit hook, dialogkonferanse/gunicorn_conf.py).
LIVE_VIEWERS = Gauge(
    "dialogkonferanse_live_viewers",
    "Viewers connected to the live-update stream on this node.",
    multiprocess_mode="livesum",
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
STATIC = "<static>"


def view_label(request: HttpRequest) -> str:
    """The URL pattern's name (``namespace:name``), or the view's dotted path when unnamed;
    static files and paths no pattern matched share one label each."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
        return STATIC
    return UNMATCHED


class RequestMetricsMiddleware(SyncAndAsyncMiddleware):
    """Observe each request's duration in ``REQUEST_LATENCY`` and, with ``LOG_FORMAT=json``,
    log one line per request (method, path, status, duration).

    Outermost in the stack, so the time includes every middleware. Runs in the page's thread for
    pages and natively in the event loop for streams (dialogkonferanse/common/asgi.py), and never
    reads a response's body: a streamed response
    (server-sent events) is timed to the moment its headers are ready and passes through as a
    stream.
    """

    def __init__(self, get_response: Callable[..., HttpResponseBase | Awaitable]) -> None:
        super().__init__(get_response)
        self.log_requests = getattr(settings, "LOG_FORMAT", "plain") == "json"

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        response = self.get_response(request)
        self._record(request, response, time.perf_counter() - started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = await self.get_response(request)  # type: ignore[misc]
        self._record(request, response, time.perf_counter() - started)
        return response

    def _record(self, request: HttpRequest, response: HttpResponseBase, seconds: float) -> None:
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        REQUEST_LATENCY.labels(view_label(request), method, status).observe(seconds)
        if self.log_requests:
            # Arguments as a mapping: the log filters (token redaction) see the path, and the
            # JSON formatter turns them into fields.
            request_logger.info(
                "%(method)s %(path)s %(status)s %(duration_ms).1f ms",
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
