"""A few seconds of shared caching for the public pages everybody opens at once.

On the conference day hundreds of suppliers open the same landing page within a minute of the
invitation email. For a visitor without a session (no personal link opened, not logged in) such
a page is the same for everyone who reads the same language: it is rendered once per
``PUBLIC_PAGE_CACHE_SECONDS`` and served from the shared cache in between. Anyone with a
session (a supplier, staff previewing a draft) always gets a fresh page, and so does everyone
when the cache is unreachable. Pages carry no per-visitor data (no form, no CSRF token, no
nonce), so the bytes can be shared.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and settings.PUBLIC_PAGE_CACHE_SECONDS > 0
    )


def _key(request: HttpRequest) -> str:
    return f"public-page:{translation.get_language()}:{request.get_full_path()}"


def public_page_cache(view: View) -> View:
    """Serve ``view``'s 200 responses to session-less visitors from the shared cache for
    ``PUBLIC_PAGE_CACHE_SECONDS`` (0 turns it off)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        try:
            cached = cache.get(key)
        except Exception:  # the cache backend's connection errors share no base class
            logger.warning("Public page cache unreachable", exc_info=True)
            return view(request, *args, **kwargs)
        if cached is not None:
            content, content_type = cached
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies and not response.streaming:
            try:
                cache.set(
                    key,
                    (response.content, response["Content-Type"]),
                    settings.PUBLIC_PAGE_CACHE_SECONDS,
                )
            except Exception:
                logger.warning("Public page cache unreachable", exc_info=True)
        return response

    return wrapper
