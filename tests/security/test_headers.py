"""Security headers on every kind of page: a strict CSP, no framing, nosniff, the referrer
policy, HSTS and the HTTPS redirect of production.

No page of the app is meant to be embedded by another site (the stream page embeds the
provider's player, it is never embedded itself), so every response refuses framing.
(`manage.py check --deploy` with production settings: tests/test_settings.py.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from conferences.choices import ConferenceStatus
from tests.factories import make_conference, make_meeting_settings, make_user

pytestmark = pytest.mark.django_db

HSTS = "max-age=31536000; includeSubDomains; preload"


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.fixture
def pages(supplier, moderator_client):
    """(label, client, path) for one page of every kind: public, personal, moderator, admin,
    error pages, files (ICS, CSV) and JSON."""
    conference = make_conference(
        status=ConferenceStatus.LIVE,
        offers_one_to_one=True,
        agenda_items=1,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        registration_opens_at=timezone.now() - dt.timedelta(days=2),
        registration_closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    make_meeting_settings(conference=conference)
    finished = make_conference(status=ConferenceStatus.FOLLOW_UP)
    _, viewer = supplier(conference)
    anonymous = Client(headers={"accept-language": "en"})
    admin = Client()
    admin.force_login(make_user(superuser=True))
    slug = conference.slug
    return [
        ("conference list", anonymous, "/"),
        ("conference page", anonymous, f"/conferences/{slug}/"),
        ("conference calendar", anonymous, f"/conferences/{slug}/calendar.ics"),
        ("register", anonymous, f"/conferences/{slug}/register/"),
        ("registered", anonymous, f"/conferences/{slug}/register/thanks/"),
        ("resend", anonymous, f"/conferences/{slug}/my-link/"),
        ("link sent", anonymous, f"/conferences/{slug}/my-link/sent/"),
        ("privacy", anonymous, "/privacy/"),
        ("public log", anonymous, f"/conferences/{finished.slug}/questions/"),
        ("public log csv", anonymous, f"/conferences/{finished.slug}/questions.csv"),
        ("no access", anonymous, f"/me/{slug}/"),
        ("not found", anonymous, "/conferences/no-such-conference/"),
        ("health", anonymous, "/healthz"),
        ("personal", viewer, f"/me/{slug}/"),
        ("cancel", viewer, f"/me/{slug}/cancel/"),
        ("personal calendar", viewer, f"/me/{slug}/calendar.ics"),
        ("stream", viewer, f"/me/{slug}/stream/"),
        ("meeting", viewer, f"/me/{slug}/meeting/"),
        ("dashboard", moderator_client, f"/moderate/{slug}/"),
        ("admin login", anonymous, "/admin/login/"),
        ("admin", admin, "/admin/"),
    ]


def test_headers_every_page_refuses_framing_and_sniffing(pages):
    for label, client, path in pages:
        response = client.get(path, secure=True)

        policy = _directives(response["Content-Security-Policy"])
        assert response.status_code < 500, label
        assert policy["frame-ancestors"] == ["'none'"], label
        assert response["X-Frame-Options"] == "DENY", label
        assert response["X-Content-Type-Options"] == "nosniff", label
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", label
        assert response["Strict-Transport-Security"] == HSTS, label


def test_headers_csp_has_no_unsafe_inline_script_anywhere(pages):
    for label, client, path in pages:
        response = client.get(path, secure=True)

        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], label
        assert policy["default-src"] == ["'self'"], label
        assert policy["object-src"] == ["'none'"], label
        assert policy["base-uri"] == ["'none'"], label
        assert policy["form-action"] == ["'self'"], label
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], label
        if path.startswith("/admin/"):
            # Django's admin templates carry style attributes; scripts stay strict there too.
            assert policy["style-src"] == ["'self'", "'unsafe-inline'"], label
        else:
            assert policy["style-src"] == ["'self'"], label
            assert "'unsafe-inline'" not in response["Content-Security-Policy"], label


def test_headers_frames_only_from_the_stream_providers(pages, settings):
    _, client, path = next(page for page in pages if page[0] == "stream")

    policy = _directives(client.get(path)["Content-Security-Policy"])

    assert policy["frame-src"] == ["'self'", *settings.CSP_FRAME_SRC]
    assert all(src.startswith("https://") for src in settings.CSP_FRAME_SRC)


def test_headers_referrer_policy_by_page_kind(pages, supplier):
    registration, _ = supplier(make_conference())
    anonymous = Client()

    by_label = {label: client.get(path) for label, client, path in pages}
    token_page = anonymous.get(f"/r/{registration.test_token}/")
    bad_token_page = anonymous.get("/r/not-a-valid-token/")

    # The address that carries the token never leaks it through a Referer.
    assert token_page["Referrer-Policy"] == "no-referrer"
    assert bad_token_page["Referrer-Policy"] == "no-referrer"
    # Everything else: same-origin (personal pages need it for their own forms' CSRF check).
    for label, response in by_label.items():
        assert response["Referrer-Policy"] == "same-origin", label


def test_headers_personal_pages_are_never_cached_or_indexed(pages):
    personal = {"personal", "cancel", "personal calendar", "stream", "meeting", "dashboard"}

    for label, client, path in pages:
        if label not in personal:
            continue
        response = client.get(path)

        assert "no-store" in response["Cache-Control"], label
        assert response["X-Robots-Tag"] == "noindex, nofollow", label


def test_headers_cookies_are_httponly_and_samesite(supplier):
    conference = make_conference()
    registration, _ = supplier(conference)
    client = Client()

    client.get(f"/conferences/{conference.slug}/register/")
    client.get(f"/r/{registration.test_token}/")

    session = client.cookies["sessionid"]
    csrf = client.cookies["csrftoken"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert csrf["samesite"] == "Lax"


@override_settings(SECURE_SSL_REDIRECT=True, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_headers_production_redirects_http_and_marks_cookies_secure(supplier):
    conference = make_conference()
    client = Client()

    plain = client.get(f"/conferences/{conference.slug}/register/")
    health = client.get("/healthz")
    secure = client.get(f"/conferences/{conference.slug}/register/", secure=True)

    assert plain.status_code == 301
    assert plain["Location"] == f"https://testserver/conferences/{conference.slug}/register/"
    assert health.status_code == 200  # load balancers probe over plain HTTP
    assert secure.status_code == 200
    assert secure.cookies["csrftoken"]["secure"] is True
    assert secure["Strict-Transport-Security"] == HSTS


def test_headers_http_request_gets_no_hsts():
    response = Client().get("/")

    assert "Strict-Transport-Security" not in response
