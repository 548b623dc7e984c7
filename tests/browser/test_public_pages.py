"""Public pages in a real browser: accessible (axe, keyboard) in nb and en, desktop and phone."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import make_conference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conference():
    return make_conference(title="Digital overvåking av farleder", agenda_items=4)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("page_name", ["list", "detail", "privacy"])
def test_public_page_has_no_wcag_violations(
    live_asgi, new_page, conference, lang, viewport, page_name
):
    path = {
        "list": "/",
        "detail": conference.get_absolute_url(),
        "privacy": "/privacy/",
    }[page_name]
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)

    page.goto(live_asgi.url + path)
    save_screenshot(page, f"public-{page_name}-{lang}-{viewport}")

    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []


def test_public_page_loads_without_csp_violations_or_other_hosts(live_asgi, new_page, conference):
    page = new_page(lang="nb")
    errors: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))

    page.goto(live_asgi.url + conference.get_absolute_url())
    page.wait_for_load_state("networkidle")

    assert errors == []
    assert hosts == {f"127.0.0.1:{live_asgi.port}"}


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(live_asgi, new_page, conference):
    page = new_page(lang="nb")
    page.goto(live_asgi.url + conference.get_absolute_url())

    page.keyboard.press("Tab")
    focused_text = page.evaluate("document.activeElement.textContent.trim()")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")

    assert focused_text == "Hopp til hovedinnholdet"
    assert outline == "solid"
    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switcher_by_keyboard_keeps_the_page(live_asgi, new_page, conference):
    page = new_page(lang="nb")
    page.goto(live_asgi.url + conference.get_absolute_url())

    page.get_by_role("link", name="Norsk (nynorsk)").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url == live_asgi.url + conference.get_absolute_url()
    assert page.locator("html").get_attribute("lang") == "nn"
    assert page.get_by_role("heading", name="Påmelding").is_visible()
    assert "Påmeldinga er open til" in page.content()
