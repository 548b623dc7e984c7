"""Shared fixtures. The suite runs against real PostgreSQL and Redis (see pyproject's env)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import redis
from django.conf import settings
from django.test.signals import setting_changed
from django.utils import translation

from bench.services import wait_for
from dialogkonferanse.celery import app as celery_app

pytest_plugins = ["tests.browser.fixtures"]


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


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """Poll ``predicate`` until it returns a truthy value (the worker runs in another thread);
    ``ServiceError`` (bench/services.py) when ``timeout`` seconds pass first."""

    def wait(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
        return wait_for(predicate, timeout=timeout, what="the condition", interval=interval)

    return wait


@pytest.fixture(autouse=True)
def _no_kept_smtp_connection() -> Iterator[None]:
    """Each test starts without an SMTP connection kept open by an earlier one's delivery."""
    from dialogkonferanse.outbox.delivery import close_kept_connections

    yield
    close_kept_connections()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code outside a request runs in English, so assertions read in the source language.

    Requests still pick their language from the browser, cookie or switcher.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def roles(db) -> None:
    """The groups from the roles migration (a transactional test may have flushed them)."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from dialogkonferanse.roles import ROLE_PERMISSIONS, sync_roles

    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() != len(ROLE_PERMISSIONS):
        sync_roles(apps)


@pytest.fixture(scope="session", autouse=True)
def _private_cache_prefix() -> Iterator[str]:
    """Test processes share one Redis server: each keeps its cache keys under a prefix of its
    own, so clearing between tests never resets another process's rate-limit counters.

    Changed in place (not with ``override_settings``, which would hide ``SETTINGS_MODULE`` from
    the tests that start subprocesses); ``setting_changed`` makes Django drop cache connections
    made with the old prefix."""
    default = settings.CACHES["default"]
    before = default.get("KEY_PREFIX")
    prefix = f"test-{os.getpid()}"
    default["KEY_PREFIX"] = prefix
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)
    yield prefix
    default["KEY_PREFIX"] = before
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=False)


@pytest.fixture(autouse=True)
def _clean_cache(_private_cache_prefix: str) -> None:
    from django.core.cache import cache

    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{_private_cache_prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
    else:
        cache.clear()


# --- Email and Celery: a real SMTP server (aiosmtpd) and a real worker on Redis ---------------


class _RecordingSmtpHandler:
    """aiosmtpd handler: keeps every message (parsed) and counts SMTP connections.

    ``reject`` maps a recipient address (lower case) to the reply its RCPT gets, for example
    ``"550 5.1.1 No such user"`` to provoke a permanent failure.
    """

    def __init__(self) -> None:
        import threading

        self.messages: list = []  # email.message.EmailMessage
        self.raw: list[bytes] = []  # the DATA exactly as received
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO list)
        self.connections = 0
        self.reject: dict[str, str] = {}
        self.changed = threading.Condition()

    def count_connection(self, delta: int = 1) -> None:
        with self.changed:
            self.connections += delta

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.changed:
            self.messages.append(message)
            self.raw.append(bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class SmtpTestServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started again on its port."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        import socket

        self.handler = _RecordingSmtpHandler()
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self._controller = None

    @property
    def messages(self) -> list:
        return self.handler.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.handler.envelopes

    @property
    def raw(self) -> list[bytes]:
        return self.handler.raw

    @property
    def connections(self) -> int:
        """SMTP connections (TCP sessions) accepted, not counting the controller's self-test."""
        return self.handler.connections

    @property
    def reject(self) -> dict[str, str]:
        return self.handler.reject

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        handler = self.handler

        class CountingController(Controller):
            def factory(self):
                handler.count_connection()
                return super().factory()

        controller = CountingController(handler, hostname=self.host, port=self.port)
        controller.start()
        handler.count_connection(-1)  # start() opened one connection to check the server
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        """Block until at least ``count`` messages arrived; returns them (TimeoutError if not)."""

        deadline = time.monotonic() + timeout
        with self.handler.changed:
            while len(self.handler.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} messages, got {len(self.handler.messages)} "
                        f"within {timeout} s"
                    )
                self.handler.changed.wait(remaining)
            return list(self.handler.messages)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) with Django's SMTP backend pointed at it.

    Yields ``SmtpTestServer``: ``.messages`` (parsed ``EmailMessage``), ``.envelopes``,
    ``.connections``, ``.reject`` (address → 5xx/4xx reply), ``.wait_for(n, timeout)``,
    ``.stop()`` / ``.start()`` to take the server down and up on the same port.
    """
    server = SmtpTestServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def celery_worker_factory(_celery_test_queue):
    """Returns ``start()``: a context manager running a real Celery worker (thread, solo pool)
    on this test process's own Redis queue. Tests need ``django_db(transaction=True)``.
    """
    from contextlib import contextmanager

    from celery.contrib.testing.worker import start_worker

    assert celery_app.conf.task_always_eager is False, "tests must send tasks through Redis"
    assert str(celery_app.conf.broker_url).startswith("redis"), "tests need a Redis broker"

    @contextmanager
    def start():
        with start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            queues=[_celery_test_queue],
            loglevel="WARNING",
            shutdown_timeout=30,
        ) as worker:
            yield worker

    return start


@pytest.fixture
def celery_worker(celery_worker_factory):
    """A real Celery worker consuming this test process's queue for the whole test."""
    with celery_worker_factory() as worker:
        yield worker


@pytest.fixture
def purge_celery_queue(_celery_test_queue):
    """Returns ``purge()``: drop every task waiting in this process's queue (Redis lost it)."""

    def purge() -> int:
        with celery_app.connection_for_write() as conn:
            return conn.default_channel.queue_purge(_celery_test_queue) or 0

    return purge
