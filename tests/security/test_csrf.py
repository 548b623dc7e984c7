"""CSRF protection on every URL of the app, found from the URL resolver, so a view added
later is covered without touching this file.

A POST without a token must be refused (403) before any view runs, for every pattern: a view
meant to be exempt has to be added to ``CSRF_EXEMPT`` here, with the reason. There is none.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from qa.models import Vote
from registrations.models import Registration
from tests.factories import make_conference, make_question, make_user

pytestmark = pytest.mark.django_db

# Views allowed to take a POST without a CSRF token: (view name, reason). None so far.
CSRF_EXEMPT: dict[str, str] = {}

_GROUP = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<rname>\w+)>")


def _patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """(qualified name, route, callback) for every pattern, nested includes flattened."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _patterns(entry, route, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, route, entry.callback


def _arguments(route: str, values: dict[str, object]) -> dict[str, object]:
    names = {m.group("name") or m.group("rname") for m in _GROUP.finditer(route)}
    return {name: values.get(name, "1") for name in names}


def _urls(values: dict[str, object]) -> list[tuple[str, str]]:
    """(name, path) for every named pattern that reverses with the sample arguments."""
    urls = []
    for name, route, _callback in _patterns():
        if not name:
            continue
        kwargs = _arguments(route, values)
        try:
            urls.append((name, reverse(name, kwargs=kwargs)))
        except Exception:  # admin patterns limit app_label to its own choices
            for app_label in ("auth", "conferences", "registrations", "meetings", "qa"):
                try:
                    urls.append((name, reverse(name, kwargs={**kwargs, "app_label": app_label})))
                    break
                except Exception:  # noqa: S112
                    continue
            else:
                raise AssertionError(f"cannot build a URL for {name} ({route})") from None
    return urls


@pytest.fixture
def site(supplier):
    conference = make_conference(
        status=ConferenceStatus.LIVE,
        offers_one_to_one=True,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        registration_opens_at=timezone.now() - dt.timedelta(days=2),
        registration_closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    registration, _ = supplier(conference)
    question = make_question(conference=conference, status="published")
    return {
        "conference": conference,
        "registration": registration,
        "question": question,
        "values": {
            "slug": conference.slug,
            "token": registration.test_token,
            "pk": question.pk,
            "action": "approve",
            "target": "stream",
            "code": "nb",
            "language": "nb",
            "object_id": str(registration.pk),
            "app_label": "registrations",
            "model_name": "registration",
        },
    }


def test_csrf_no_view_is_exempt():
    exempt = {
        name or route
        for name, route, callback in _patterns()
        if getattr(callback, "csrf_exempt", False)
    }

    assert exempt == set(CSRF_EXEMPT)


def test_csrf_every_url_refuses_post_without_token(site, supplier):
    conference = site["conference"]
    superuser = make_user(superuser=True)
    urls = _urls(site["values"])
    assert len(urls) > 40  # the resolver walk found the admin too, not just a handful

    refused = {}
    for name, path in urls:
        # The strongest session there is: a superuser who also holds a supplier's link.
        client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
        client.force_login(superuser)
        client.get(f"/r/{site['registration'].test_token}/")
        client.get(f"/conferences/{conference.slug}/register/")  # a CSRF cookie, no token

        response = client.post(path, {"email": "x@example.no", "text": "x", "version": 1})

        refused[name] = (response.status_code, b"CSRF verification failed" in response.content)
    allowed = {name: result for name, result in refused.items() if result != (403, True)}
    assert allowed == {}


def test_csrf_fetch_vote_without_token_is_refused(site, supplier):
    conference, question = site["conference"], site["question"]
    registration, _ = supplier(conference)
    client = Client(enforce_csrf_checks=True)
    client.get(f"/r/{registration.test_token}/")

    response = client.post(
        f"/me/{conference.slug}/stream/questions/{question.pk}/vote/",
        headers={"x-requested-with": "fetch", "accept": "application/json"},
    )

    assert response.status_code == 403
    assert Vote.objects.filter(question=question).count() == 0


def test_csrf_valid_token_from_another_origin_is_refused(site):
    conference = site["conference"]
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    page = client.get(f"/conferences/{conference.slug}/register/", secure=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    response = client.post(
        f"/conferences/{conference.slug}/my-link/",
        {"email": "x@example.no", "csrfmiddlewaretoken": token},
        secure=True,
        headers={"origin": "https://evil.example", "referer": "https://evil.example/"},
    )

    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content


def test_csrf_valid_token_same_origin_is_accepted(site):
    """The control: the refusals above are CSRF, not a broken form."""
    conference = site["conference"]
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    page = client.get(f"/conferences/{conference.slug}/register/", secure=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    response = client.post(
        f"/conferences/{conference.slug}/register/",
        {
            "organisation_name": "Kontroll AS",
            "country": "NO",
            "organisation_number": "974760673",
            "contact_name": "Kari",
            "email": "kontroll@example.no",
            "language": "nb",
            "privacy_acknowledged": "on",
            "csrfmiddlewaretoken": token,
        },
        secure=True,
        headers={"origin": "https://testserver", "referer": "https://testserver/"},
    )

    assert response.status_code == 302
    assert Registration.objects.filter(email="kontroll@example.no").count() == 1
