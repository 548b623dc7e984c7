"""A small fixed-window rate limiter on Django's cache, shared by all server processes when the
cache is Redis. (django-ratelimit refuses the local-memory cache of the embedded default.)

Rates are written ``"<count>/<unit>"`` with unit s, m, h or d (``"10/h"``, ``"100/5m"`` is not
supported: use ``"20/m"``). An empty rate, or ``"0"``, turns the limit off.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period: int


def parse_rate(value: str) -> Rate | None:
    value = (value or "").strip().lower()
    if value in ("", "0", "off", "none"):
        return None
    try:
        count, unit = value.split("/")
        return Rate(count=int(count), period=_UNITS[unit.strip()[:1]])
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"A rate limit must look like '10/h' (count/s|m|h|d), not {value!r}."
        ) from None


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind ``RATE_LIMIT_TRUSTED_PROXIES`` proxies, the address the
    outermost trusted proxy saw (counted from the right of X-Forwarded-For, which a client
    cannot forge past our own proxies)."""
    trusted = getattr(settings, "RATE_LIMIT_TRUSTED_PROXIES", 0)
    if trusted:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def is_limited(*, scope: str, key: str, rate: str) -> tuple[bool, int]:
    """Count one hit for ``key`` in ``scope``; ``(True, retry_after_seconds)`` once over the rate.

    ``cache.add`` creates the window's counter atomically (only the first caller wins) and
    ``cache.incr`` is atomic in Redis, so concurrent processes never lose a hit. With the cache
    unreachable the limit lets the request through (logged): a supplier's registration must
    not fail because Redis is down.
    """
    parsed = parse_rate(rate)
    if parsed is None:
        return False, 0
    now = int(time.time())
    window = now // parsed.period
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    try:
        cache.add(cache_key, 0, timeout=parsed.period + 5)
        try:
            hits = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: start a new count
            cache.add(cache_key, 1, timeout=parsed.period + 5)
            hits = 1
    except Exception:  # the cache backend's connection errors have no common base class
        logger.warning("Rate limit %s not counted: the cache is unreachable", scope, exc_info=True)
        return False, 0
    retry_after = parsed.period - (now % parsed.period)
    return hits > parsed.count, retry_after
