"""Security headers that Django 5.2 does not set by itself, and a clear 503 when the database
is out of reach."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: no inline scripts or styles, no other hosts.

    Frames are allowed only from the stream providers in ``CSP_FRAME_SRC``; the pages load those
    players only after the viewer clicks. The admin keeps Django's inline style attributes.
    Works natively under ASGI and WSGI, so streamed responses are not buffered.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., HttpResponseBase | Awaitable]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        frame_src = " ".join(["'self'", *settings.CSP_FRAME_SRC])
        base = [
            "default-src 'self'",
            "script-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "media-src 'self' blob: https:",
            f"frame-src {frame_src}",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
        self.policy = "; ".join([*base, "style-src 'self'"])
        self.admin_policy = "; ".join([*base, "style-src 'self' 'unsafe-inline'"])

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self.is_async:
            return self._acall(request)
        return self._add_headers(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)  # type: ignore[misc]
        return self._add_headers(request, response)

    def _add_headers(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if "Content-Security-Policy" not in response:
            admin = request.path.startswith("/admin/")
            response["Content-Security-Policy"] = self.admin_policy if admin else self.policy
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        return response


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """A view that cannot reach the database (server down or restarting, pool exhausted) answers
    503 with a translated "try again shortly" page and ``Retry-After``, not a 500: nothing was
    saved, and the visitor should simply retry. The page is rendered without the database."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable on %s", request.path, exc_info=exception)
        response = render(request, "503.html", {"retry_after": RETRY_AFTER_SECONDS}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
