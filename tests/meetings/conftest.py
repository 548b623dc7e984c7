"""Fixtures for the meeting tests: a conference offering meetings, suppliers with links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from meetings.services import generate_slots
from tests.factories import make_conference, make_meeting_settings, make_registration


@pytest.fixture
def conference(db):
    return make_conference(offers_one_to_one=True, title="Fyrdialog", slug="fyrdialog")


@pytest.fixture
def meeting_settings(conference):
    """Self-service, two teams, one window 10:00-12:00 Oslo time five days ahead, slots made."""
    row = make_meeting_settings(conference=conference, teams=2)
    generate_slots(conference_id=conference.pk)
    return row


@pytest.fixture
def supplier_factory(conference) -> Callable[..., Any]:
    """Returns ``make(**overrides)``: an opted-in registration with a personal link token."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any):
        n = next(counter)
        values: dict[str, Any] = {
            "conference": conference,
            "wants_one_to_one": True,
            "token": f"tok-{conference.slug}-{n}",
            "language": "en",
        }
        values.update(overrides)
        registration = make_registration(**values)
        registration.test_token = values["token"]
        return registration

    return make


@pytest.fixture
def supplier_client() -> Callable[..., Client]:
    """Returns ``login(registration)``: a browser that opened that supplier's personal link."""

    def login(registration) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = client.get(f"/r/{registration.test_token}/")
        assert response.status_code == 302, response
        return client

    return login


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Tasks a test left in Redis (no worker ran) must not reach the next test's worker."""
    yield
    purge_celery_queue()
