"""Unreadable requests, impossible path parameters and missing static files get a 400 or 404,
never a 500; the project's own error pages render in Bokmål, Nynorsk and English and never
read the request body."""

from __future__ import annotations

import copy

import pytest
from asgiref.sync import async_to_sync
from django.db import DatabaseError
from django.test import AsyncClient, Client
from django.urls import Resolver404, resolve, reverse

from conferences.choices import ConferenceStatus
from dialogkonferanse.common.converters import BIGINT_MAX
from registrations.models import Registration
from tests.conferences.package_factories import make_recording
from tests.factories import make_conference, make_question, make_user

pytestmark = pytest.mark.django_db

CSRF_COOKIE = "a" * 32  # any 32 characters, as in the reported request
UTF16_FORM = "application/x-www-form-urlencoded; charset=utf-16"

PAGES = {
    400: {
        "en": ("Bad request", "Your browser sent something this service cannot read."),
        "nb": ("Ugyldig forespørsel", "Nettleseren din sendte noe denne tjenesten ikke kan lese."),
        "nn": ("Ugyldig førespurnad", "Nettlesaren din sende noko denne tenesta ikkje kan lese."),
    },
    403: {
        "en": ("Access denied", "You do not have access to this page."),
        "nb": ("Ingen tilgang", "Du har ikke tilgang til denne siden."),
        "nn": ("Ingen tilgang", "Du har ikkje tilgang til denne sida."),
    },
    "csrf": {
        "en": ("The form could not be sent", "The page had expired, or your browser did not"),
        "nb": ("Skjemaet kunne ikke sendes", "Siden var utløpt, eller nettleseren din sendte"),
        "nn": ("Skjemaet kunne ikkje sendast", "Sida hadde gått ut på tid, eller nettlesaren"),
    },
    404: {
        "en": ("Page not found", "There is no page at this address."),
        "nb": ("Fant ikke siden", "Det finnes ingen side på denne adressen."),
        "nn": ("Fann ikkje sida", "Det finst inga side på denne adressa."),
    },
    500: {
        "en": ("Something went wrong", "An error occurred on our side and has been logged."),
        "nb": ("Noe gikk galt", "Det oppstod en feil hos oss, og den er logget."),
        "nn": ("Noko gjekk gale", "Det oppstod ein feil hos oss, og han er logga."),
    },
}


def _page(response) -> tuple[str, str] | None:
    """(title, first sentence of the message) as rendered, for comparison with ``PAGES``."""
    html = response.content.decode()
    for pages in PAGES.values():
        for title, sentence in pages.values():
            if f"<h1>{title}</h1>" in html and sentence in html:
                return title, sentence
    return None


@pytest.fixture
def conference():
    return make_conference(status=ConferenceStatus.LIVE)


def _register_url(conference) -> str:
    return reverse("registrations:register", kwargs={"slug": conference.slug})


# --- 1. Unreadable request bodies: 400 before the CSRF check or a view reads them ------------


def test_post_utf16_form_is_400_not_500(conference):
    """The reported request: a CSRF cookie, a form body declared as UTF-16."""
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    client.cookies["csrftoken"] = CSRF_COOKIE

    response = client.post(_register_url(conference), data=b"a=b", content_type=UTF16_FORM)

    assert response.status_code == 400
    assert _page(response) == PAGES[400]["en"]
    assert Registration.objects.count() == 0


def test_post_utf16_form_under_asgi_is_400_not_500(conference):
    client = AsyncClient(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_COOKIE

    async def post():
        return await client.post(
            _register_url(conference),
            data=b"a=b",
            content_type=UTF16_FORM,
            headers={"accept-language": "nn"},
        )

    response = async_to_sync(post)()

    assert response.status_code == 400
    assert _page(response) == PAGES[400]["nn"]
    assert Registration.objects.count() == 0


UNREADABLE = {
    "utf-16 multipart": ("multipart/form-data; boundary=xyz; charset=utf-16", b"--xyz--\r\n"),
    "unknown charset": ("application/x-www-form-urlencoded; charset=x-made-up", b"a=b"),
    "codec that is no text encoding": ("application/x-www-form-urlencoded; charset=rot13", b"a=b"),
    "latin-1": ("application/x-www-form-urlencoded; charset=latin-1", b"email=\xe6@x.no"),
    "utf8 (Django reads only utf-8)": ("application/x-www-form-urlencoded; charset=utf8", b"a=b"),
    "raw bytes that are not UTF-8": ("application/x-www-form-urlencoded", b"email=\xff\xfe"),
    "percent-encoded bytes that are not UTF-8": ("application/x-www-form-urlencoded", b"a=%ff"),
    "multipart without boundary": ("multipart/form-data", b"--x\r\n"),
    "multipart with empty boundary": ("multipart/form-data; boundary=", b"--\r\n"),
    "multipart with invalid boundary": ("multipart/form-data; boundary=\u00ff", b"x"),
    "too many fields": ("application/x-www-form-urlencoded", b"&".join([b"a=1"] * 1001)),
}


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize("enforce_csrf", [True, False], ids=["csrf checked", "csrf off"])
def test_post_unreadable_body_is_400(conference, content_type, body, enforce_csrf):
    client = Client(enforce_csrf_checks=enforce_csrf, headers={"accept-language": "nb"})
    client.cookies["csrftoken"] = CSRF_COOKIE

    # generic(): post() would re-encode the body in the declared charset first.
    response = client.generic("POST", _register_url(conference), body, content_type)

    assert response.status_code == 400
    assert _page(response) == PAGES[400]["nb"]
    assert Registration.objects.count() == 0


@pytest.mark.parametrize("query", ["next=%00", "sort=a%00b", "%00"])
def test_nul_byte_in_query_string_is_400(client, conference, query):
    response = client.get(
        f"/moderate/{conference.slug}/?{query}", headers={"accept-language": "en"}
    )

    assert response.status_code == 400
    assert _page(response) == PAGES[400]["en"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        'application/x-www-form-urlencoded; charset="utf-8"',
    ],
)
def test_post_readable_form_still_reaches_the_view(client, conference, content_type):
    """The control: a UTF-8 form body is read as before."""
    response = client.post(
        reverse("registrations:resend", kwargs={"slug": conference.slug}),
        data=b"email=ukjent%40leverandor.example",
        content_type=content_type,
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("registrations:link_sent", args=[conference.slug])


# --- 2. and 3. Path parameters that cannot name anything: 404 before any query --------------


def test_captions_out_of_range_recording_id_is_404(client, conference):
    """The reported request: an id beyond PostgreSQL's bigint."""
    path = (
        f"/conferences/{conference.slug}/information/recordings/"
        "99999999999999999999999/captions/nb.vtt"
    )

    response = client.get(path, headers={"accept-language": "en"})

    assert response.status_code == 404
    assert _page(response) == PAGES[404]["en"]


def test_captions_nul_language_is_404(client, conference, settings, tmp_path):
    """The reported request: a NUL byte as the caption language."""
    settings.MEDIA_ROOT = tmp_path
    recording = make_recording(conference=conference, captions=("nb",), published=True)
    base = f"/conferences/{conference.slug}/information/recordings/{recording.pk}/captions/"

    response = client.get(f"{base}%00.vtt", headers={"accept-language": "nb"})
    control = client.get(f"{base}nb.vtt")

    assert response.status_code == 404
    assert _page(response) == PAGES[404]["nb"]
    assert control.status_code == 200
    assert control.content.startswith(b"WEBVTT")


def _id_paths(slug: str, value: str) -> dict[str, tuple[str, str]]:
    return {
        "video": ("get", f"/conferences/{slug}/information/recordings/{value}/video"),
        "captions": ("get", f"/conferences/{slug}/information/recordings/{value}/captions/nb.vtt"),
        "document": ("get", f"/conferences/{slug}/information/documents/{value}/file.pdf"),
        "vote": ("post", f"/me/{slug}/stream/questions/{value}/vote/"),
        "card": ("get", f"/moderate/{slug}/questions/{value}/card/"),
        "moderate": ("post", f"/moderate/{slug}/questions/{value}/approve/"),
    }


@pytest.mark.parametrize("value", [str(BIGINT_MAX + 1), "99999999999999999999999", "1" * 400])
@pytest.mark.parametrize("page", list(_id_paths("s", "1")))
def test_out_of_range_id_is_404_on_every_id_route(conference, moderator_client, value, page):
    method, path = _id_paths(conference.slug, value)[page]

    response = getattr(moderator_client, method)(path, headers={"accept-language": "nn"})

    assert response.status_code == 404
    assert _page(response) == PAGES[404]["nn"]


def test_id_converter_admits_the_largest_bigint_only():
    route = "/conferences/x/information/documents/{}/file.pdf"

    match = resolve(route.format(BIGINT_MAX))

    assert match.kwargs == {"slug": "x", "pk": BIGINT_MAX}
    with pytest.raises(Resolver404):
        resolve(route.format(BIGINT_MAX + 1))


@pytest.mark.parametrize(
    "path",
    [
        "/r/%00/",
        "/r/abc%01def/",
        "/r/abc%7f/",
        "/language/%00/",
        "/language/nb%00/",
        "/language/NB/",
        "/language/norsk-bokmål/",
        "/conferences/{slug}/information/recordings/1/captions/nb%00.vtt",
        "/conferences/{slug}/information/recordings/1/captions/%C3%A6%C3%B8.vtt",
        "/moderate/{slug}/questions/1/%00/",
        "/moderate/{slug}/questions/1/APPROVE/",
        "/moderate/{slug}/questions/1/approve%00/",
    ],
)
def test_impossible_string_parameter_is_404(conference, moderator_client, path):
    response = moderator_client.post(
        path.format(slug=conference.slug), headers={"accept-language": "en"}
    )

    assert response.status_code == 404
    assert _page(response) == PAGES[404]["en"]


def test_malformed_token_still_gets_the_link_page(client):
    """Printable junk is a mangled link: the page explains it, as for an unknown token."""
    response = client.get("/r/' OR 1=1 --/", headers={"accept-language": "en"})

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_moderation_action_still_resolves(conference, moderator_client):
    question = make_question(conference=conference, status="awaiting")

    match = resolve(f"/moderate/{conference.slug}/questions/{question.pk}/answered-live/")

    assert match.kwargs == {"slug": conference.slug, "pk": question.pk, "action": "answered-live"}


# --- 6. A missing static file with DEBUG on ---------------------------------------------------


def test_static_missing_file_with_debug_is_404(settings):
    settings.DEBUG = True

    response = Client().get("/static/nope.css")
    present = Client().get("/static/css/site.css")

    assert response.status_code == 404
    assert "ServeStatic did not find the file &#x27;nope.css&#x27;" in response.content.decode()
    assert present.status_code == 200


def test_static_missing_file_without_debug_is_the_404_page(client):
    response = client.get("/static/nope.css", headers={"accept-language": "nn"})

    assert response.status_code == 404
    assert _page(response) == PAGES[404]["nn"]


# --- The error pages themselves ---------------------------------------------------------------


def _request_for(status, conference: object, language: str):
    """A real request that ends in ``status``."""
    headers = {"accept-language": language}
    if status == 400:
        client = Client(headers=headers)
        return client.post(_register_url(conference), data=b"a=b", content_type=UTF16_FORM)
    if status == 403:
        client = Client(headers=headers)
        client.force_login(make_user(is_staff=True))  # staff, but not allowed to see meetings
        return client.get(reverse("meetings:staff_overview", args=[conference.slug]))
    if status == "csrf":
        client = Client(enforce_csrf_checks=True, headers=headers)
        return client.post(_register_url(conference), {"email": "x@example.no"})
    if status == 404:
        return Client(headers=headers).get("/no/such/page/")
    client = Client(headers=headers, raise_request_exception=False)
    return client.get("/fails/")  # tests/security/failing_urls.py


@pytest.mark.urls("tests.security.failing_urls")
@pytest.mark.parametrize("language", ["en", "nb", "nn"])
@pytest.mark.parametrize("status", [400, 403, "csrf", 404, 500])
def test_error_page_renders_in_the_visitors_language(conference, status, language):
    response = _request_for(status, conference, language)

    assert response.status_code == (403 if status == "csrf" else status)
    assert _page(response) == PAGES[status][language]
    assert f'<html lang="{language}">' in response.content.decode()


@pytest.mark.urls("tests.security.failing_urls")
def test_error_page_500_is_standalone(conference):
    response = _request_for(500, conference, "nb")
    html = response.content.decode()

    assert response.status_code == 500
    assert "/static/css/site.css" in html
    assert "skip-link" not in html  # not the site layout: no context, no database


def _broken(request):
    raise DatabaseError("server closed the connection unexpectedly")


@pytest.fixture
def broken_context_processor(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    processors.append(f"{__name__}._broken")
    settings.TEMPLATES = templates


@pytest.mark.urls("tests.security.failing_urls")
@pytest.mark.parametrize("status", [400, 403, "csrf", 404, 500])
def test_error_page_renders_when_a_context_processor_fails(
    conference, broken_context_processor, status
):
    response = _request_for(status, conference, "en")

    assert response.status_code == (403 if status == "csrf" else status)
    assert _page(response) == PAGES[status]["en"]
