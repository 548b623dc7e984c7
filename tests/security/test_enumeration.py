"""No enumeration: "register" and "resend my link" answer the same, byte for byte and in time,
whether or not the address is registered. (Byte-identical pages: tests/registrations/
test_views.py; here the timing, measured with the outbox and the broker the app uses.)"""

from __future__ import annotations

import itertools
import re
import statistics
import time

import pytest
from django.test import Client

from dialogkonferanse.models import OutboundEmail
from tests.factories import make_conference, make_registration

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
RUNS = 15
TOLERANCE = 0.20
_unique = itertools.count(1)


def _form(email: str) -> dict[str, str]:
    return {
        "organisation_name": "Tidtaker AS",
        "country": "NO",
        "organisation_number": "974760673",
        "contact_name": "Kari",
        "email": email,
        "language": "nb",
        "privacy_acknowledged": "on",
    }


def _medians(post_known, post_unknown) -> tuple[float, float]:
    """Interleaved (known, unknown, unknown, known, ...) so drift hits both alike."""
    known: list[float] = []
    unknown: list[float] = []
    for i in range(RUNS):
        order = [(post_known, known), (post_unknown, unknown)]
        for post, times in order if i % 2 else reversed(order):
            started = time.perf_counter()
            response = post()
            times.append(time.perf_counter() - started)
            assert response.status_code == 302
    return statistics.median(known), statistics.median(unknown)


def _within(post_known, post_unknown) -> tuple[bool, float, float]:
    post_known(), post_unknown()  # warm-up: templates, connections
    for _attempt in range(2):  # one retry: the machine is shared and noisy
        known, unknown = _medians(post_known, post_unknown)
        if abs(known - unknown) <= TOLERANCE * max(known, unknown):
            return True, known, unknown
    return False, known, unknown


@pytest.fixture
def no_rate_limits(settings):
    settings.REGISTRATION_RATE_LIMIT = ""
    settings.REGISTRATION_RESEND_RATE_LIMIT = ""
    settings.REGISTRATION_ADDRESS_RATE_LIMIT = ""


@pytest.mark.django_db(transaction=True)  # commits, so the send tasks really go to the broker
def test_enumeration_register_known_and_unknown_take_the_same_time(no_rate_limits):
    conference = make_conference()
    make_registration(conference=conference, email="kjent@leverandor.example")
    client = Client()
    url = f"/conferences/{conference.slug}/register/"

    ok, known, unknown = _within(
        lambda: client.post(url, _form("kjent@leverandor.example")),
        lambda: client.post(url, _form(f"ny{next(_unique)}@leverandor.example")),
    )

    assert ok, f"known {known * 1000:.1f} ms vs unknown {unknown * 1000:.1f} ms"
    kinds = set(OutboundEmail.objects.values_list("kind", flat=True))
    assert kinds == {"registration_confirmation", "registration_already"}  # both paths ran


@pytest.mark.django_db(transaction=True)
def test_enumeration_resend_known_and_unknown_take_the_same_time(no_rate_limits):
    conference = make_conference()
    make_registration(conference=conference, email="kjent@leverandor.example")
    client = Client()
    url = f"/conferences/{conference.slug}/my-link/"

    ok, known, unknown = _within(
        lambda: client.post(url, {"email": "kjent@leverandor.example"}),
        lambda: client.post(url, {"email": f"ukjent{next(_unique)}@leverandor.example"}),
    )

    assert ok, f"known {known * 1000:.1f} ms vs unknown {unknown * 1000:.1f} ms"


@pytest.mark.django_db
def test_enumeration_rate_limited_answer_is_the_same_for_known_and_unknown(settings):
    settings.REGISTRATION_RESEND_RATE_LIMIT = ""
    settings.REGISTRATION_ADDRESS_RATE_LIMIT = "1/h"
    conference = make_conference()
    make_registration(conference=conference, email="kjent@leverandor.example")
    url = f"/conferences/{conference.slug}/my-link/"
    answers = []
    for email in ("kjent@leverandor.example", "ukjent@leverandor.example"):
        client = Client(headers={"accept-language": "en"})
        client.post(url, {"email": email})
        answers.append(client.post(url, {"email": email}))

    assert [a.status_code for a in answers] == [429, 429]
    pages = [_CSRF.sub("", a.content.decode()) for a in answers]
    assert pages[0] == pages[1]
