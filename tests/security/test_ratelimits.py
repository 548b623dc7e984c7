"""Rate limits answer 429 with Retry-After and a message in the visitor's language, for
registering, asking for the link and asking questions, and count against the client's real
address: X-Forwarded-For is believed only from the proxies in FORWARDED_ALLOW_IPS, by the app and
by the servers as make run and the Dockerfile start them. (English 429s and per-address limits:
tests/registrations/test_views.py.)"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import uuid

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from conferences.choices import ConferenceStatus
from dialogkonferanse.common.ratelimit import client_ip
from registrations.models import Registration
from tests.factories import make_conference
from tests.security import servers

pytestmark = pytest.mark.django_db

_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _private_counters(settings):
    """Each test counts in a cache of its own: the suite clears the shared Redis cache at the
    start of every test, and another test process may do so in the middle of this one."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ratelimit-{uuid.uuid4().hex}",
        }
    }


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


@pytest.mark.parametrize(
    ("allowed", "remote", "forwarded", "expected"),
    [
        ([], "127.0.0.1", "198.51.100.9", "127.0.0.1"),  # the default believes no one
        (["10.0.0.2"], "127.0.0.1", "198.51.100.9", "127.0.0.1"),  # not from the proxy
        (["10.0.0.2"], "10.0.0.2", "198.51.100.9", "198.51.100.9"),
        (["10.0.0.2"], "10.0.0.2", "", "10.0.0.2"),
        # What the client wrote left of its own address proves nothing.
        (["10.0.0.2"], "10.0.0.2", "192.0.2.66, 198.51.100.9", "198.51.100.9"),
        # Two proxies: the nearest address that is not one of them.
        (
            ["10.0.0.2", "10.0.0.3"],
            "10.0.0.2",
            "192.0.2.66, 198.51.100.9, 10.0.0.3",
            "198.51.100.9",
        ),
        (["10.0.0.2"], "10.0.0.2", "198.51.100.9:4711", "198.51.100.9"),
        (["::1"], "0:0::1", "[2001:db8::7]:443", "2001:db8::7"),
        (["10.0.0.2"], "10.0.0.2", "10.0.0.2", "10.0.0.2"),  # only proxies: the leftmost
        (["*"], "192.0.2.1", "192.0.2.66, 198.51.100.9", "192.0.2.66"),  # uvicorn's "*"
    ],
)
def test_client_ip_believes_forwarded_for_only_from_listed_proxies(
    settings, rf, allowed, remote, forwarded, expected
):
    settings.FORWARDED_ALLOW_IPS = allowed
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_ratelimit_counts_a_listed_proxys_client_address(settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.2"]
    settings.REGISTRATION_RESEND_RATE_LIMIT = "1/h"
    settings.REGISTRATION_ADDRESS_RATE_LIMIT = ""
    conference = make_conference()
    url = f"/conferences/{conference.slug}/my-link/"

    def post(forwarded: str, email: str) -> int:
        client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
        return client.post(url, {"email": email}).status_code

    statuses = [
        post("198.51.100.9", "a@example.no"),
        post("198.51.100.10", "b@example.no"),  # another supplier behind the same proxy
        post("192.0.2.66, 198.51.100.9", "c@example.no"),  # the first again, forging
    ]

    assert statuses == [302, 302, 429]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"FORWARDED_ALLOW_IPS": "10.0.0.2, proxy.internal"},
            "FORWARDED_ALLOW_IPS lists IP addresses (or *), not 'proxy.internal'.",
        ),
        (
            {"RATE_LIMIT_TRUSTED_PROXIES": "1"},
            "RATE_LIMIT_TRUSTED_PROXIES is replaced by FORWARDED_ALLOW_IPS",
        ),
    ],
)
def test_settings_forwarded_allow_ips_refuses_what_it_cannot_use(variables, message):
    base = {k: v for k, v in os.environ.items() if not k.startswith(servers.NOT_INHERITED)}
    env = {**base, "DJANGO_DEBUG": "1", "DATABASE_URL": "sqlite:///:memory:", **variables}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=servers.ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode != 0
    assert message in result.stderr


# --- The servers as the project starts them ---------------------------------------------------


def _resend_statuses(base: str, slug: str, forwarded_for: list[str]) -> list[int]:
    """POST "resend my link" once per X-Forwarded-For value, from loopback."""
    url = f"{base}/conferences/{slug}/my-link/"
    with httpx.Client(timeout=30) as http:
        token = _CSRF_TOKEN.search(http.get(url).text).group(1)
        return [
            http.post(
                url,
                data={"email": f"lenke{i}@example.no", "csrfmiddlewaretoken": token},
                headers={"X-Forwarded-For": forwarded},
            ).status_code
            for i, forwarded in enumerate(forwarded_for)
        ]


_SERVERS = {"make run": servers.makefile_server, "Dockerfile": servers.dockerfile_server}
_LIMITS = {"REGISTRATION_RESEND_RATE_LIMIT": "2/h", "REGISTRATION_ADDRESS_RATE_LIMIT": ""}


@pytest.fixture
def server_env(_celery_test_queue) -> dict[str, str]:
    return {
        **_LIMITS,
        "CELERY_TASK_DEFAULT_QUEUE": _celery_test_queue,  # purged after each security test
        "CACHE_KEY_PREFIX": f"ratelimit-{uuid.uuid4().hex}",
    }


@pytest.mark.django_db(transaction=True)  # the server process reads the committed conference
@pytest.mark.parametrize("started_by", list(_SERVERS))
def test_ratelimit_server_ignores_forwarded_for_from_loopback(started_by, server_env, tmp_path):
    conference = make_conference()

    with _SERVERS[started_by](tmp_path, env=server_env) as base:
        statuses = _resend_statuses(
            base, conference.slug, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        )

    # All three come from 127.0.0.1, whatever they claim: the third is over 2/h.
    assert statuses == [302, 302, 429]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("started_by", list(_SERVERS))
def test_ratelimit_server_counts_a_listed_proxys_client_address(started_by, server_env, tmp_path):
    conference = make_conference()

    with _SERVERS[started_by](tmp_path, forwarded_allow_ips="127.0.0.1", env=server_env) as base:
        statuses = _resend_statuses(
            base,
            conference.slug,
            [
                "198.51.100.1",
                "198.51.100.2",
                "192.0.2.66, 198.51.100.1",  # forged on the left: still 198.51.100.1
                "192.0.2.67, 198.51.100.1",
            ],
        )

    assert statuses == [302, 302, 302, 429]


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
