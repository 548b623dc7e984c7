"""The error pages in Chromium: the right status and heading, and no axe-core (WCAG 2.0/2.1 A
and AA) violations, in Bokmål and English, served by uvicorn as in production."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import axe_violations
from tests.factories import make_conference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADINGS = {
    ("400", "nb"): "Ugyldig forespørsel",
    ("400", "en"): "Bad request",
    ("403 csrf", "nb"): "Skjemaet kunne ikke sendes",
    ("403 csrf", "en"): "The form could not be sent",
    ("404", "nb"): "Fant ikke siden",
    ("404", "en"): "Page not found",
}


def _open_error_page(page, base_url: str, kind: str):
    if kind == "400":
        return page.goto(f"{base_url}/?q=%00")
    if kind == "404":
        return page.goto(f"{base_url}/no/such/page/")
    # The form page was left open until the CSRF cookie was gone (cleared, or expired).
    conference = make_conference()
    page.goto(f"{base_url}/conferences/{conference.slug}/my-link/")
    page.context.clear_cookies()
    page.fill("input[name=email]", "kari@fjordsensor.example")
    with page.expect_navigation() as navigation:
        page.click("form button[type=submit]")
    return navigation.value


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("kind", ["400", "403 csrf", "404"])
def test_error_page_in_the_browser_is_accessible(live_asgi, new_page, kind, lang):
    page = new_page(lang=lang, bypass_csp=True)

    response = _open_error_page(page, live_asgi.url, kind)

    assert response.status == int(kind[:3])
    assert page.locator("h1").inner_text() == HEADINGS[(kind, lang)]
    assert axe_violations(page) == []
