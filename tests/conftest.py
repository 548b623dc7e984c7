"""Shared fixtures. The suite runs against real PostgreSQL and Redis (see pyproject's env)."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis
from django.conf import settings

from dialogkonferanse.celery import app as celery_app


def _service_problems() -> list[str]:
    problems = []
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        problems.append(f"DATABASE_URL must point to PostgreSQL for the tests, not {db['ENGINE']}.")
    else:
        try:
            psycopg.connect(
                host=db["HOST"] or "127.0.0.1",
                port=db["PORT"] or 5432,
                user=db["USER"],
                password=db["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except psycopg.Error as exc:
            problems.append(
                f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT']} ({exc}). "
                "Start it, or set DATABASE_URL."
            )
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if not url.startswith("redis"):
            problems.append(f"{name} must point to Redis for the tests.")
            continue
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis is not reachable at {url} ({exc}). Start it, or set {name}.")
    return problems


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = _service_problems()
    if problems:
        pytest.exit("Missing test services:\n  " + "\n  ".join(problems), returncode=3)


@pytest.fixture(scope="session", autouse=True)
def _celery_test_queue() -> str:
    """Each test process uses its own queue, so a stray worker cannot steal test tasks."""
    queue = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    celery_app.conf.task_default_queue = queue
    return queue


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    from django.core.cache import cache

    cache.clear()
