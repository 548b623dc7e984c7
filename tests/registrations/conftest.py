"""Fixtures for the registration tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.factories import make_conference


@pytest.fixture
def conference(db):
    """A published conference with registration open and one-to-one meetings offered."""
    return make_conference(offers_one_to_one=True, title="Fyrdialog", slug="fyrdialog")


@pytest.fixture
def form_data() -> Callable[..., dict[str, Any]]:
    """Valid registration form data; override any field."""

    def build(**overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "organisation_name": "Fjordsensor AS",
            "country": "NO",
            "organisation_number": "974 760 673",
            "national_id": "",
            "contact_name": "Kari Nordmann",
            "email": "kari@fjordsensor.example",
            "phone": "+47 400 00 000",
            "language": "nb",
            "wants_one_to_one": "on",
            "one_to_one_topics": "Sensorer på bøyer",
            "listed_publicly": "on",
            "open_to_partnering": "on",
            "privacy_acknowledged": "on",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build


@pytest.fixture
def client():
    """A browser that asks for English, so assertions read in the source language."""
    return Client(headers={"accept-language": "en"})


def without_csrf(content: bytes) -> str:
    """Page text with the (per-response masked) CSRF tokens blanked, for page comparisons."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content.decode())


@pytest.fixture
def no_rate_limits(settings) -> None:
    settings.REGISTRATION_RATE_LIMIT = ""
    settings.REGISTRATION_RESEND_RATE_LIMIT = ""


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Tasks a test left in Redis (no worker ran) must not reach the next test's worker."""
    yield
    purge_celery_queue()
