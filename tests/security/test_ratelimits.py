"""Rate limits answer 429 with Retry-After and a message in the visitor's language, for
registering, asking for the link and asking questions. (English 429s and per-address limits:
tests/registrations/test_views.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conferences.choices import ConferenceStatus
from registrations.models import Registration
from tests.factories import make_conference

pytestmark = pytest.mark.django_db

FORM = {
    "organisation_name": "Ivrig AS",
    "country": "NO",
    "organisation_number": "974760673",
    "contact_name": "Kari",
    "language": "nb",
    "privacy_acknowledged": "on",
}


@pytest.mark.parametrize(
    ("language", "message"), [("nb", "For mange forsøk"), ("nn", "For mange forsøk")]
)
def test_ratelimit_register_429_translated_with_retry_after(settings, language, message):
    settings.REGISTRATION_RATE_LIMIT = "2/h"
    conference = make_conference()
    client = Client(headers={"accept-language": language})
    url = f"/conferences/{conference.slug}/register/"

    statuses = [
        client.post(url, {**FORM, "email": f"ivrig{i}@example.no"}).status_code for i in range(3)
    ]
    response = client.post(url, {**FORM, "email": "ivrig9@example.no"})

    assert statuses == [302, 302, 429]
    assert response.status_code == 429
    assert message in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Registration.objects.count() == 2


def test_ratelimit_resend_429_translated_with_retry_after(settings):
    settings.REGISTRATION_RESEND_RATE_LIMIT = "1/m"
    conference = make_conference()
    client = Client(headers={"accept-language": "nb"})
    url = f"/conferences/{conference.slug}/my-link/"
    client.post(url, {"email": "a@example.no"})

    response = client.post(url, {"email": "b@example.no"})

    assert response.status_code == 429
    assert "For mange forsøk" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 60


def test_ratelimit_is_per_client_address(settings):
    settings.REGISTRATION_RESEND_RATE_LIMIT = "1/h"
    conference = make_conference()
    url = f"/conferences/{conference.slug}/my-link/"
    Client(REMOTE_ADDR="192.0.2.1").post(url, {"email": "a@example.no"})

    other = Client(REMOTE_ADDR="192.0.2.2").post(url, {"email": "b@example.no"})
    forged = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.9").post(
        url, {"email": "c@example.no"}
    )

    assert other.status_code == 302
    assert forged.status_code == 429  # no trusted proxy: X-Forwarded-For is ignored


def test_ratelimit_questions_429_with_retry_after(settings, supplier):
    settings.QA_QUESTION_RATE_LIMIT = "2/m"
    conference = make_conference(
        status=ConferenceStatus.LIVE,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        registration_opens_at=timezone.now() - dt.timedelta(days=2),
        registration_closes_at=timezone.now(),
    )
    registration, client = supplier(conference)
    url = f"/me/{conference.slug}/stream/ask/"

    statuses = [client.post(url, {"text": f"Spørsmål {i}?"}).status_code for i in range(3)]
    response = client.post(url, {"text": "Ett til?"})

    assert statuses == [302, 302, 429]
    assert 0 < int(response["Retry-After"]) <= 60
    assert registration.questions.count() == 2
