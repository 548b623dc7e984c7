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
