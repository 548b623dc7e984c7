from __future__ import annotations

import socket

import pytest
from django.urls import reverse


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_all_services_up_is_200(client, settings):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.django_db
def test_healthz_redis_unreachable_is_503(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["cache"] == "error"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_healthz_broker_unset_is_not_checked(client, settings):
    settings.REDIS_URL = ""
    settings.QA_LIVE_REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"

    response = client.get(reverse("healthz"))

    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz_database_unreachable_is_503(client, settings):
    """Point the default connection at a port where nothing listens: a real failed connect."""
    from django.db import connections

    connection = connections["default"]
    original = dict(connection.settings_dict)
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    connection.settings_dict["PORT"] = _closed_port()
    connection.settings_dict["OPTIONS"] = {"connect_timeout": 2}
    try:
        response = client.get(reverse("healthz"))
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"


# --- Liveness and readiness ---------------------------------------------------------------------


@pytest.fixture
def database_unreachable():
    """The default connection pointed at a port where nothing listens (a real failed connect)."""
    from django.db import connections

    connection = connections["default"]
    original = dict(connection.settings_dict)
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    connection.settings_dict["PORT"] = _closed_port()
    connection.settings_dict["OPTIONS"] = {"connect_timeout": 2}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


def test_healthz_live_answers_without_the_database(client, database_unreachable):
    live = client.get(reverse("healthz_live"))
    ready = client.get(reverse("healthz_ready"))

    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["database"]


def test_healthz_live_answers_without_redis(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get(reverse("healthz_live"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_ready_all_services_up_is_200(client, settings):
    settings.QA_LIVE_REDIS_URL = settings.REDIS_URL

    response = client.get(reverse("healthz_ready"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("failing", ["cache", "live", "broker"])
def test_healthz_ready_names_the_failing_redis(client, settings, failing):
    settings.QA_LIVE_REDIS_URL = "redis://127.0.0.1:6379/14"  # another Redis: checked on its own
    setting = {"cache": "REDIS_URL", "live": "QA_LIVE_REDIS_URL", "broker": "CELERY_BROKER_URL"}
    setattr(settings, setting[failing], f"redis://127.0.0.1:{_closed_port()}/0")

    response = client.get(reverse("healthz_ready"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["failed"] == [failing]
    assert {name for name, value in body["checks"].items() if value == "ok"} == (
        {"database", "cache", "live", "broker"} - {failing}
    )


@pytest.mark.django_db
def test_healthz_is_readiness(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    legacy = client.get(reverse("healthz"))
    ready = client.get(reverse("healthz_ready"))

    assert legacy.status_code == ready.status_code == 503
    assert legacy.json() == ready.json()
    assert legacy.json()["failed"] == ["broker"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["healthz", "healthz_live", "healthz_ready"])
def test_healthz_never_cached(client, name):
    response = client.get(reverse(name))

    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_ready_reuses_one_redis_connection(client, settings):
    """The shared client's pool: repeated checks open no new connection to Redis."""
    from dialogkonferanse.common import redis_clients

    client.get(reverse("healthz_ready"))
    pool = redis_clients.client(settings.REDIS_URL, 1.0).connection_pool
    opened = pool._created_connections

    for _ in range(5):
        client.get(reverse("healthz_ready"))

    assert pool._created_connections == opened == 1
