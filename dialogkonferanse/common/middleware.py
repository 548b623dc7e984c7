"""Security headers that Django 5.2 does not set by itself, a 400 for request bodies that
cannot be read, a 404 for missing static files, a clear 503 when the database is out of
reach, and the middleware stack's shape.

**Pages run the stack synchronously.** Pages are served by Django's WSGI handler on a thread
pool (dialogkonferanse/common/asgi.py), so every middleware here runs in sync mode there, in
the page's thread, with no hop to an event loop: each one must be able to run sync (a sync-only
or async-only middleware makes Django adapt the handler around it, a new event loop and thread
per request for ``async_to_sync``). ``StaticFilesMiddleware`` is therefore ServeStatic with a
synchronous path of its own.

**Streams and file transfers run it asynchronously.** Live event streams and file transfers go
through Django's ASGI handler. There a ``MiddlewareMixin`` middleware calls its
``process_request`` and ``process_response`` through ``sync_to_async`` when the handler inside
it is async, so the innermost one, ``DatabaseUnavailableMiddleware``, is declared sync-only:
from there up to ``StaticFilesMiddleware`` the stack and the view run as one synchronous block
in one worker thread. Above it, ``DeferEagerTasksMiddleware`` and
``ContentSecurityPolicyMiddleware`` run natively in the event loop. Streamed responses pass
through untouched: the handler iterates them, not the middleware.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin
from servestatic.middleware import ServeStaticMiddleware
from servestatic.responders import MissingFileError

from dialogkonferanse.common import errors

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class SyncAndAsyncMiddleware:
    """Base of a middleware that runs natively under ASGI and WSGI (so streamed responses are
    not buffered and no thread hop is added). A subclass's ``__call__`` returns
    ``self._acall(request)`` when ``is_async`` is set and serves the sync stack otherwise."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., HttpResponseBase | Awaitable]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class ContentSecurityPolicyMiddleware(SyncAndAsyncMiddleware):
    """Send a strict Content-Security-Policy: no inline scripts or styles, no other hosts.

    Frames are allowed only from the stream providers in ``CSP_FRAME_SRC``; the pages load those
    players only after the viewer clicks. The admin keeps Django's inline style attributes.
    """

    def __init__(self, get_response: Callable[..., HttpResponseBase | Awaitable]) -> None:
        super().__init__(get_response)
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
        # The admin's upload widget may also send files to the media bucket (CSP_ADMIN_CONNECT_SRC).
        admin_connect = " ".join(["connect-src 'self'", *settings.CSP_ADMIN_CONNECT_SRC])
        admin_base = [admin_connect if part == "connect-src 'self'" else part for part in base]
        self.admin_policy = "; ".join([*admin_base, "style-src 'self' 'unsafe-inline'"])

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


# The pages are UTF-8, so browsers send form data in UTF-8, and Django reads URL-encoded data
# declared as anything else (even "utf8") as an error.
ACCEPTED_CHARSET = "utf-8"
URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = (URLENCODED, "multipart/form-data")  # the bodies Django parses into request.POST
# What reading a body can raise: Django's own refusals (unsupported charset, too many fields or
# files, too much data, a broken multipart stream), a client that hung up, undecodable bytes.
UNREADABLE = (
    BadRequest,
    SuspiciousOperation,
    MultiPartParserError,
    UnreadablePostError,
    UnicodeDecodeError,
    ValueError,
)


def _declared_charset_refused(request: HttpRequest) -> str | None:
    charset = request.content_params.get("charset")
    if charset is None or charset.lower() == ACCEPTED_CHARSET:
        return None
    return f"unsupported charset {charset!r}"


def _read_form_body(request: HttpRequest) -> None:
    """Parse a form body once, strictly; raises one of ``UNREADABLE`` if it cannot be read.

    Django decodes form data leniently (undecodable bytes become replacement characters or
    Latin-1), so a URL-encoded body is first parsed strictly as UTF-8. Afterwards
    ``request.POST`` and ``request.FILES`` are parsed and cached for everything downstream.
    """
    if request.content_type == URLENCODED:
        parse_qsl(
            request.body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    request.POST  # noqa: B018 (parses request.POST and request.FILES)


def _suspect(request: HttpRequest) -> bool:
    """Whether the request needs a closer look: cheap enough to decide on the event loop."""
    return (
        request.method == "POST"
        or "charset" in request.content_params
        or "%00" in request.META.get("QUERY_STRING", "")
    )


class UnreadableRequestMiddleware(SyncAndAsyncMiddleware):
    """Answer 400 to a request Django cannot read properly, before anything else reads it.

    Refused: a declared charset other than UTF-8; a NUL byte in the query string
    (PostgreSQL cannot store or compare it, and no form sends one); and for a POST, URL-encoded
    data that is not UTF-8, a multipart body with a missing or broken boundary, and whatever
    else Django refuses while parsing form data (too many fields or files, too much data).
    Reading ``request.POST`` here, once, means the CSRF check, the views and the error pages
    never meet a parse error, which Django's own error handling would run into again and turn
    into a 500. Sits right after ``LocaleMiddleware`` so the page is in the visitor's language.
    Inside the synchronous block of the stack (module docstring) it runs sync, so reading the
    body is no I/O on the event loop; responses pass through untouched (streams stay streams).
    """

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self.is_async:
            return self._acall(request)
        if _suspect(request):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if _suspect(request):
            # Reading the body is file I/O and the page may touch the session: off the loop.
            refusal = await sync_to_async(self._refusal)(request)
            if refusal is not None:
                return refusal
        return await self.get_response(request)  # type: ignore[misc]

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        reason = _declared_charset_refused(request)
        if reason is None and "%00" in request.META.get("QUERY_STRING", ""):
            reason = "NUL byte in the query string"
        if reason is None and request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                _read_form_body(request)
            except UNREADABLE as exc:
                reason = f"{type(exc).__name__}: {exc}"
        if reason is None:
            return None
        logger.info("Unreadable request on %s: %s", request.path, reason)
        return errors.bad_request(request, BadRequest(reason))


class _StaticFileResponse(FileResponse):
    """ServeStatic's answer as a Django response: its headers are already complete."""

    def set_headers(self, filelike: object) -> None:
        pass


async def _no_response(request: HttpRequest) -> HttpResponseBase:  # pragma: no cover - unused
    raise AssertionError("the synchronous StaticFilesMiddleware calls its own handler")


class StaticFilesMiddleware(ServeStaticMiddleware):
    """ServeStatic, in sync mode as well as async, with a missing file a 404 also when DEBUG is
    on.

    ServeStatic's middleware is async-only; pages run the stack synchronously (module
    docstring), so this one answers from the same table of files with ServeStatic's
    synchronous responder there. With DEBUG on, ServeStatic raises ``MissingFileError`` for any
    path under STATIC_URL it cannot find (a hint for developers), which Django answers as a
    500. Here it becomes an ``Http404`` carrying the same hint, shown on Django's debug 404
    page.
    """

    sync_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable]) -> None:
        self.is_async = iscoroutinefunction(get_response)
        # ServeStatic refuses a synchronous handler; its table of files is the same either way.
        super().__init__(get_response if self.is_async else _no_response)  # type: ignore[arg-type]
        if not self.is_async:
            self.get_response = get_response  # type: ignore[assignment]
            # ServeStatic marked this instance a coroutine function; in sync mode it is not.
            for marker in ("_is_coroutine", "_is_coroutine_marker"):
                self.__dict__.pop(marker, None)

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def, override]
        if self.is_async:
            return self._acall(request)
        path = request.path_info
        static_file = self.find_file(path) if self.autorefresh else self.files.get(path)
        if static_file is not None:
            return self._serve(static_file, request)
        if settings.DEBUG and request.path.startswith(settings.STATIC_URL):
            missing = request.path.removeprefix(settings.STATIC_URL)
            raise Http404(f"ServeStatic did not find the file '{missing}'.")
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return await super().__call__(request)
        except MissingFileError as exc:
            raise Http404(str(exc)) from exc

    @staticmethod
    def _serve(static_file: Any, request: HttpRequest) -> HttpResponseBase:
        answer = static_file.get_response(request.method or "GET", request.META)
        response = _StaticFileResponse(answer.file or (), status=int(answer.status))
        del response["Content-Type"]
        for name, value in answer.headers:
            if value is not None:
                response[name] = value
        return response


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """A view that cannot reach the database (server down or restarting, pool exhausted) answers
    503 with a translated "try again shortly" page and ``Retry-After``, not a 500: nothing was
    saved, and the visitor should simply retry. The page is rendered without the database."""

    # Sync-only, so the stack from here up to the static files runs as one synchronous block
    # (module docstring).
    async_capable = False

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable on %s", request.path, exc_info=exception)
        response = render(request, "503.html", {"retry_after": RETRY_AFTER_SECONDS}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
