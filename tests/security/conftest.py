"""Fixtures of the security suite: suppliers holding their personal-link session, moderators,
and the attack payloads every text input is tried with."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
from django.test import Client

from tests.conferences.conftest import s3_endpoint  # noqa: F401 - the local S3 API, shared
from tests.factories import make_moderator, make_registration

# Each payload breaks out of a different output context if it is not escaped: element content,
# a quoted attribute, a URL attribute, a template engine, a <textarea>/<title> (RCDATA), a
# <script> block, an SSE frame (a line break would start a new field) and an email header.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}{% now 'Y' %}",
    "</textarea><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
]
# Tags from the payloads; an HTML email has none of its own (pages do: use assert_escaped).
DANGEROUS = re.compile(r"<(script|img|svg|iframe)\b", re.IGNORECASE)

_tokens = itertools.count(1)


@pytest.fixture
def supplier() -> Callable[..., tuple]:
    """``supplier(conference, **fields)`` → (registration, Client holding its link's session)."""

    def make(conference, **overrides):
        token = f"security-token-{next(_tokens)}-{conference.pk}-0123456789abcdefghijklmnop"
        registration = make_registration(conference=conference, token=token, **overrides)
        client = Client(headers={"accept-language": "en"})
        response = client.get(f"/r/{token}/")
        assert response.status_code == 302, response.status_code
        registration.test_token = token
        return registration, client

    return make


@pytest.fixture
def moderator_client(db, roles) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(make_moderator())
    return client


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Tasks a test queued in Redis (no worker ran) must not reach another test's worker."""
    yield
    purge_celery_queue()
