"""One synchronous Redis client per URL, timeout and process, shared by the code that talks to
Redis directly (live-event publishing, the readiness check, the metrics). redis-py's pool
notices a fork and opens fresh connections in the child."""

from __future__ import annotations

import functools

import redis


@functools.lru_cache(maxsize=8)
def client(url: str, timeout: float = 2.0) -> redis.Redis:
    """``timeout`` bounds both connecting and each command, in seconds."""
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
