"""The stream page and live Q&A in Chromium: a viewer asks, a moderator approves in a second
browser context, and the viewer sees the question appear without reloading. Plus axe on the
stream page, the dashboard and the public log (nb and en, desktop and phone)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus, StreamProvider
from qa import services
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import make_conference, make_moderator, make_question, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_tokens = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_heartbeat(settings):
    """Keep-alives every 2 s, so a dropped stream is noticed within the test."""
    settings.QA_SSE_HEARTBEAT_SECONDS = 2


@pytest.fixture
def conference():
    now = timezone.now()
    return make_conference(
        status=ConferenceStatus.LIVE,
        title="Digital overvåking av farleder",
        starts_at=now - dt.timedelta(minutes=12),
        registration_opens_at=now - dt.timedelta(days=3),
        registration_closes_at=now - dt.timedelta(minutes=30),
        stream_provider=StreamProvider.YOUTUBE,
        stream_url="https://www.youtube.com/watch?v=abcDEF12345",
        fallback_stream_url="https://fallback.example/stream",
        agenda_items=4,
    )


def _viewer_page(live_asgi, new_page, conference, **page_options):
    token = f"browser-token-{next(_tokens)}-{conference.pk}-abcdefghijklmnopqrstuvwxyz"
    registration = make_registration(conference=conference, token=token)
    page = new_page(**page_options)
    page.goto(f"{live_asgi.url}/r/{token}/")
    page.goto(f"{live_asgi.url}/me/{conference.slug}/stream/")
    return registration, page


def _moderator_page(live_asgi, new_page, conference, **page_options):
    client = Client()
    client.force_login(make_moderator())
    page = new_page(**page_options)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_asgi.url}]
    )
    page.goto(f"{live_asgi.url}/moderate/{conference.slug}/")
    return page


def test_viewer_asks_moderator_approves_viewer_sees_it_without_reload(
    live_asgi, new_page, conference, roles
):
    registration, viewer = _viewer_page(live_asgi, new_page, conference, lang="en")
    viewer.get_by_role("textbox", name="Your question").fill(
        "Will the contract be split into lots?"
    )
    viewer.get_by_role("button", name="Send the question").click()
    viewer.wait_for_url("**/stream/#own-questions")
    assert "Will the contract be split into lots?" in viewer.locator("#own-questions").inner_text()
    moderator = _moderator_page(live_asgi, new_page, conference, lang="en")
    card = moderator.locator("#qa-dashboard [data-column=awaiting] li").first
    assert "Will the contract be split into lots?" in card.inner_text()
    assert registration.organisation_name in card.inner_text()
    # expect() polls from Playwright's side; a wait_for_function string is eval, which the
    # Content-Security-Policy refuses.
    expect(viewer.locator("#qa-stream")).to_have_attribute("data-live", "on")
    expect(moderator.locator("#qa-dashboard")).to_have_attribute("data-live", "on")
    viewer.evaluate("window.__notReloaded = true")
    moderator.evaluate("window.__notReloaded = true")

    # A new question reaches the dashboard without reload.
    other = make_registration(conference=conference)
    services.ask_question(registration_id=other.pk, text="Is English accepted?")
    moderator.locator("[data-column=awaiting] .qa-text", has_text="Is English accepted?").wait_for()
    assert moderator.evaluate("window.__notReloaded === true")

    card.get_by_role("button", name="Approve").first.click()
    moderator.locator(
        "[data-column=published] .qa-text", has_text="Will the contract be split into lots?"
    ).wait_for()

    viewer.locator(
        "#qa-questions .qa-text", has_text="Will the contract be split into lots?"
    ).wait_for(timeout=5000)
    assert viewer.evaluate("window.__notReloaded === true")
    item = viewer.locator("#qa-questions li").first
    assert registration.organisation_name not in item.inner_text()
    save_screenshot(viewer, "qa-stream-after-approval")

    # Voting updates the count in place.
    item.get_by_role("button", name="Vote up").click()
    viewer.locator("#qa-questions li .qa-votes").first.filter(has_text="1").wait_for()
    assert viewer.evaluate("window.__notReloaded === true")


def test_player_loads_only_after_click(live_asgi, new_page, conference):
    _, page = _viewer_page(live_asgi, new_page, conference, lang="en")
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.wait_for_load_state("networkidle")
    assert page.locator("iframe").count() == 0
    assert hosts <= {f"127.0.0.1:{live_asgi.port}"}

    page.get_by_role("link", name="Show the video player").click()

    frame = page.locator("iframe")
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/abcDEF12345"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("page_name", ["stream", "dashboard", "public_log", "not_registered"])
def test_qa_page_has_no_wcag_violations(
    live_asgi, new_page, conference, roles, lang, viewport, page_name
):
    registration = make_registration(conference=conference, organisation_name="Fjordsensor AS")
    published = make_question(registration=registration, status="published", show_company=True)
    make_question(registration=registration, status="answered", answered_live=True)
    make_question(registration=registration, status="rejected", rejection_reason="Utenfor tema")
    make_question(registration=registration, status="merged", merged_into=published)
    make_question(registration=registration)
    options = {"lang": lang, "viewport": viewport, "bypass_csp": True}
    if page_name == "stream":
        _, page = _viewer_page(live_asgi, new_page, conference, **options)
    elif page_name == "dashboard":
        page = _moderator_page(live_asgi, new_page, conference, **options)
    else:
        if page_name == "public_log":
            conference.status = ConferenceStatus.FOLLOW_UP
            conference.save()
        page = new_page(**options)
        path = {
            "public_log": f"/conferences/{conference.slug}/questions/",
            "not_registered": f"/me/{conference.slug}/stream/",
        }[page_name]
        page.goto(live_asgi.url + path)
    save_screenshot(page, f"qa-{page_name}-{lang}-{viewport}")

    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []
