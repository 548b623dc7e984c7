"""Conference day in Chromium, at 1280 px and 375 px, in nb and en: the ask box above the
question list, an empty question answered beside the field (focused and announced), the
conference going live (and ending) on the stream, landing and list pages without a reload, and
the registration form showing the fields that fit, with JavaScript and without it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from conferences.choices import ConferenceStatus, StreamProvider
from conferences.services import transition_conference
from qa.models import Question
from registrations.models import Registration
from tests.browser.fixtures import VIEWPORTS, axe_violations, save_screenshot
from tests.factories import make_conference, make_question, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGS = ["nb", "en"]
SIZES = ["desktop", "phone"]
_tokens = itertools.count(1)

TEXT = {
    "nb": {
        "empty": "Skriv spørsmålet ditt før du sender det.",
        "live": "Direkte nå",
        "watch": "Se sendingen",
        "national_missing": "Skriv inn nasjonalt ID-nummer eller mva-nummer",
    },
    "en": {
        "empty": "Write your question before you send it.",
        "live": "Live now",
        "watch": "Watch the stream",
        "national_missing": "Enter the national or VAT identifier",
    },
}


@pytest.fixture(autouse=True)
def _fast_live_updates(settings):
    """Plain HTTP on loopback; heartbeats and badge polling fast enough for a test."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.QA_SSE_HEARTBEAT_SECONDS = 2
    settings.CONFERENCE_LIVE_POLL_SECONDS = 1


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Emails queued here (no worker runs) must not reach a later test's worker."""
    yield
    purge_celery_queue()


def _viewer(live_asgi, page, conference):
    token = f"stream-live-{next(_tokens)}-{conference.pk}-abcdefghijklmnopqrstuvwxyz0123"
    registration = make_registration(conference=conference, token=token)
    page.goto(f"{live_asgi.url}/r/{token}/")
    page.goto(f"{live_asgi.url}/me/{conference.slug}/stream/")
    return registration


def _live_conference(**overrides):
    now = timezone.now()
    values = {
        "status": ConferenceStatus.LIVE,
        "title": "Digital overvåking av farleder",
        "starts_at": now - dt.timedelta(minutes=12),
        "registration_opens_at": now - dt.timedelta(days=3),
        "registration_closes_at": now - dt.timedelta(minutes=30),
        "stream_provider": StreamProvider.YOUTUBE,
        "stream_url": "https://www.youtube.com/watch?v=abcDEF12345",
        "agenda_items": 3,
    }
    values.update(overrides)
    return make_conference(**values)


_LIVE_NOW = ".conference-live .conference-live-now"


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


# --- Stream page: layout and errors ------------------------------------------------------------


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_ask_box_is_above_the_question_list(live_asgi, new_page, lang, viewport):
    conference = _live_conference()
    for n in range(4):
        make_question(conference=conference, status="published", text=f"Spørsmål nummer {n}")
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    _viewer(live_asgi, page, conference)

    ask, questions = _box(page, "#ask"), _box(page, "#qa-questions")
    save_screenshot(page, f"stream-layout-{lang}-{viewport}")

    assert ask["y"] + ask["height"] <= questions["y"]
    assert ask["width"] <= VIEWPORTS[viewport]["width"]
    assert page.locator("#qa-questions li").count() == 4
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_empty_question_is_refused_beside_the_field_without_reload(
    live_asgi, new_page, lang, viewport
):
    conference = _live_conference()
    for n in range(6):
        make_question(conference=conference, status="published", text=f"Spørsmål nummer {n}")
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    _viewer(live_asgi, page, conference)
    page.evaluate("window.__notReloaded = true")

    page.locator("#qa-ask-form button[type=submit]").click()

    error = page.locator("#id_text_error")
    error.wait_for()
    field = page.locator("#id_text")
    assert error.get_attribute("role") == "alert"
    assert error.inner_text() == TEXT[lang]["empty"]
    assert field.get_attribute("aria-invalid") == "true"
    assert "id_text_error" in field.get_attribute("aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "id_text"
    assert page.evaluate("window.__notReloaded === true")
    box = _box(page, "#id_text")
    assert 0 <= box["y"] <= VIEWPORTS[viewport]["height"]  # in view, not back at the top
    save_screenshot(page, f"stream-ask-error-js-{lang}-{viewport}")
    assert axe_violations(page) == []

    # Fixed by typing: sent as usual.
    field.fill("Kan vi levere på engelsk?")
    with page.expect_navigation():
        page.locator("#qa-ask-form button[type=submit]").click()
    assert Question.objects.filter(text="Kan vi levere på engelsk?").count() == 1


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_empty_question_without_javascript_returns_to_the_focused_field(
    live_asgi, browser, lang, viewport
):
    conference = _live_conference()
    for n in range(6):
        make_question(conference=conference, status="published", text=f"Spørsmål nummer {n}")
    locale = {"nb": "nb-NO", "en": "en-GB"}[lang]
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],
        java_script_enabled=False,
        extra_http_headers={"Accept-Language": f"{lang},{locale};q=0.9"},
    )
    try:
        page = context.new_page()
        registration = _viewer(live_asgi, page, conference)

        with page.expect_navigation():
            page.locator("#qa-ask-form button[type=submit]").click()

        assert page.url.endswith(f"/me/{conference.slug}/stream/ask/")
        field = page.locator("#id_text")
        assert TEXT[lang]["empty"] in page.locator("#id_text_error").inner_text()
        assert field.get_attribute("aria-invalid") == "true"
        assert "id_text_error" in field.get_attribute("aria-describedby").split()
        assert field.get_attribute("autofocus") is not None
        assert page.evaluate("document.activeElement.id") == "id_text"
        box = _box(page, "#id_text")
        assert 0 <= box["y"] <= VIEWPORTS[viewport]["height"]
        save_screenshot(page, f"stream-ask-error-nojs-{lang}-{viewport}")
        assert Question.objects.filter(registration=registration).count() == 0
    finally:
        context.close()


# --- Going live and ending, without a reload -----------------------------------------------------


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_going_live_shows_badge_and_player_without_reload(live_asgi, new_page, lang, viewport):
    conference = _live_conference(
        status=ConferenceStatus.PUBLISHED,
        starts_at=timezone.now() + dt.timedelta(hours=1),
        registration_closes_at=timezone.now() + dt.timedelta(minutes=30),
    )
    stream = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    _viewer(live_asgi, stream, conference)
    stream.locator("#qa-stream[data-live=on]").wait_for(state="attached")
    landing = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    landing.goto(f"{live_asgi.url}/conferences/{conference.slug}/")
    home = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    home.goto(f"{live_asgi.url}/")
    pages = {"stream": stream, "landing": landing, "home": home}
    for page in pages.values():
        page.evaluate("window.__notReloaded = true")
    assert stream.locator("#qa-countdown").is_visible()
    assert stream.locator("#qa-player-section").is_hidden()
    assert stream.locator("#qa-live-badge").is_hidden()
    for name in ("landing", "home"):
        assert pages[name].locator(_LIVE_NOW).is_hidden(), name
    save_screenshot(stream, f"live-before-stream-{lang}-{viewport}")

    transition_conference(conference_id=conference.pk, to_status=ConferenceStatus.LIVE, actor=None)

    stream.locator("#qa-player-section").wait_for(state="visible", timeout=10_000)
    assert stream.locator("#qa-countdown").count() == 0
    assert stream.locator("#qa-live-badge").inner_text() == TEXT[lang]["live"]
    assert stream.locator(".qa-player-load").is_visible()
    for name in ("landing", "home"):
        page = pages[name]
        page.locator(_LIVE_NOW).wait_for(state="visible", timeout=10_000)
        assert page.locator(_LIVE_NOW).locator(".badge").inner_text() == TEXT[lang]["live"]
        watch = page.locator(_LIVE_NOW).get_by_role("link", name=TEXT[lang]["watch"])
        assert watch.get_attribute("href") == f"/me/{conference.slug}/stream/"
    for name, page in pages.items():
        assert page.evaluate("window.__notReloaded === true"), name
        save_screenshot(page, f"live-now-{name}-{lang}-{viewport}")
    for name, page in pages.items():
        assert axe_violations(page) == [], name

    # Ending leaves no stale badge behind.
    transition_conference(
        conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
    )

    stream.locator("#qa-ended").wait_for(state="visible", timeout=10_000)
    assert stream.locator("#qa-live-badge").is_hidden()
    for name in ("landing", "home"):
        pages[name].locator(_LIVE_NOW).wait_for(state="hidden", timeout=10_000)
    for name, page in pages.items():
        assert page.evaluate("window.__notReloaded === true"), name
        save_screenshot(page, f"live-ended-{name}-{lang}-{viewport}")


# --- Registration form ---------------------------------------------------------------------------


def _register_url(live_asgi, conference) -> str:
    return f"{live_asgi.url}/conferences/{conference.slug}/register/"


def _fill_contact(page, email: str) -> None:
    page.locator("#id_organisation_name").fill("Nordsensor AB")
    page.locator("#id_contact_name").fill("Karin Svensson")
    page.locator("#id_email").fill(email)
    page.locator("#id_privacy_acknowledged").check()


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_registration_form_shows_the_fields_that_fit(live_asgi, new_page, lang, viewport):
    conference = make_conference(offers_one_to_one=True)
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    page.goto(_register_url(live_asgi, conference))
    number, foreign = page.locator("#id_organisation_number"), page.locator("#id_national_id")
    topics = page.locator("#id_one_to_one_topics")

    assert (number.is_visible(), foreign.is_visible(), topics.is_visible()) == (True, False, False)
    options = page.locator("#id_country option").all_inner_texts()
    assert options[0] == {"nb": "Norge", "en": "Norway"}[lang]
    assert options[-1] == {"nb": "Østerrike", "en": "Switzerland"}[lang]
    save_screenshot(page, f"register-norway-{lang}-{viewport}")
    assert axe_violations(page) == []

    page.locator("#id_country").select_option("SE")
    assert (number.is_visible(), foreign.is_visible()) == (False, True)
    page.locator("#id_wants_one_to_one").check()
    assert topics.is_visible()
    page.locator("#id_wants_one_to_one").uncheck()
    assert topics.is_hidden()
    page.locator("#id_wants_one_to_one").check()
    topics.fill("Sensorer på bøyer")
    page.locator("#id_national_id").fill("SE556000000001")
    _fill_contact(page, f"karin-{lang}-{viewport}@nordsensor.example")
    save_screenshot(page, f"register-sweden-{lang}-{viewport}")
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.locator("form.registration-form button[type=submit]").click()

    assert page.url.endswith(f"/conferences/{conference.slug}/register/thanks/")
    stored = Registration.objects.get()
    assert (
        stored.country,
        stored.organisation_number,
        stored.national_id,
        stored.wants_one_to_one,
        stored.one_to_one_topics,
    ) == ("SE", "", "SE556000000001", True, "Sensorer på bøyer")


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_registration_form_without_javascript_asks_for_the_right_identifier(
    live_asgi, browser, lang, viewport
):
    conference = make_conference(offers_one_to_one=True)
    locale = {"nb": "nb-NO", "en": "en-GB"}[lang]
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],
        java_script_enabled=False,
        extra_http_headers={"Accept-Language": f"{lang},{locale};q=0.9"},
    )
    try:
        page = context.new_page()
        page.goto(_register_url(live_asgi, conference))
        # Every field is there, each labelled for whom it is.
        for selector in ("#id_organisation_number", "#id_national_id", "#id_one_to_one_topics"):
            assert page.locator(selector).is_visible(), selector
        save_screenshot(page, f"register-nojs-{lang}-{viewport}")

        # A Swedish supplier who leaves the identifier out is told beside that field.
        page.locator("#id_country").select_option("SE")
        page.locator("#id_one_to_one_topics").fill("Sendt uten ønske om møte")
        _fill_contact(page, f"karin-nojs-{lang}-{viewport}@nordsensor.example")
        with page.expect_navigation():
            page.locator("form.registration-form button[type=submit]").click()
        assert TEXT[lang]["national_missing"] in page.locator("#div_id_national_id").inner_text()
        assert page.locator("#id_national_id").get_attribute("aria-invalid") == "true"
        assert Registration.objects.count() == 0
        save_screenshot(page, f"register-nojs-error-{lang}-{viewport}")

        page.locator("#id_national_id").fill("SE556000000001")
        page.locator("#id_privacy_acknowledged").check()
        with page.expect_navigation():
            page.locator("form.registration-form button[type=submit]").click()

        assert page.url.endswith(f"/conferences/{conference.slug}/register/thanks/")
        stored = Registration.objects.get()
        assert (
            stored.country,
            stored.organisation_number,
            stored.national_id,
            stored.wants_one_to_one,
            stored.one_to_one_topics,
        ) == ("SE", "", "SE556000000001", False, "")
    finally:
        context.close()
