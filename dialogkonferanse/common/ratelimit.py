"""A small fixed-window rate limiter on Django's cache, shared by all server processes when the
cache is Redis. (django-ratelimit refuses the local-memory cache of the embedded default.)

Rates are written ``"<count>/<unit>"`` with unit s, m, h or d (``"10/h"``, ``"100/5m"`` is not
supported: use ``"20/m"``). An empty rate, or ``"0"``, turns the limit off.
"""

from __future__ import annotations

import ipaddress
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


def _host(entry: str) -> str:
    """An X-Forwarded-For entry without its port (``v4:port``, ``[v6]:port``), as uvicorn
    reads it."""
    entry = entry.strip()
    if entry.startswith("[") and "]" in entry:
        return entry[1 : entry.index("]")]
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host if port.isdigit() else entry
    return entry


def _comparable(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | str:
    """IP addresses compare parsed (``::1`` is ``0::1``); anything else as written."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return host


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's, unless the connection comes from a proxy listed
    in ``FORWARDED_ALLOW_IPS``; then the nearest X-Forwarded-For entry that is not such a proxy
    (entries further left were written by the client and prove nothing; with ``*``, every
    sender is trusted and the leftmost entry is taken).

    This is the rule uvicorn applies to the same setting (gunicorn's uvicorn workers too), so
    the result is the same whether the server has already put the forwarded address in
    ``REMOTE_ADDR`` or a server that does not (the test client, a WSGI server) has not.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    allowed = settings.FORWARDED_ALLOW_IPS
    trust_all = "*" in allowed
    proxies = {_comparable(item) for item in allowed}
    if not (trust_all or _comparable(remote) in proxies):
        return remote
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    hosts = [host for host in map(_host, entries) if host]
    if not hosts:
        return remote
    if not trust_all:
        for host in reversed(hosts):
            if _comparable(host) not in proxies:
                return host
    return hosts[0]  # trusting every sender, or every hop is a listed proxy


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
