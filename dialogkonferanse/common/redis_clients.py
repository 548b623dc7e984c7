"""One synchronous Redis client per URL and process, shared by the code that talks to Redis
directly (live-event publishing). redis-py's pool notices a fork and opens fresh connections
in the child."""

from __future__ import annotations

import functools

import redis


@functools.lru_cache(maxsize=8)
def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
