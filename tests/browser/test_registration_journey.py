"""A supplier registers in Chromium by keyboard, opens the emailed link and uses the personal
page's forms (which must pass the CSRF origin check under the page's referrer policy)."""

from __future__ import annotations

import re

import pytest

from dialogkonferanse.models import OutboundEmail
from registrations.models import Registration
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import make_conference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link_from_outbox(email: str) -> str:
    row = OutboundEmail.objects.get(to_email=email, kind="registration_confirmation")
    mime = bytes(row.mime).replace(b"=\r\n", b"").decode("utf-8", "replace")
    return re.search(r"https?://[^\s\"<>]+/r/[A-Za-z0-9_-]+/", mime).group(0)


def test_supplier_registers_by_keyboard_and_edits_the_personal_page(live_asgi, new_page, settings):
    settings.SITE_URL = live_asgi.url
    conference = make_conference(title="Farleder 2027", offers_one_to_one=True)
    page = new_page(lang="en")
    page.goto(f"{live_asgi.url}/conferences/{conference.slug}/register/")
    assert axe_violations_page(page) == []

    page.get_by_label("Organisation name").fill("Fjordsensor AS")
    page.get_by_label("Organisation number (Norwegian companies)").fill("974 760 673")
    page.get_by_label("Your name").fill("Kari Nordmann")
    page.locator("#id_email").fill("kari@fjordsensor.example")
    page.get_by_label("I want a one-to-one meeting").check()
    page.get_by_label("Topics you want to raise in the meeting").fill("Sensorer på bøyer")
    page.get_by_label("I have read the privacy notice and the rules of the dialogue").check()
    page.get_by_role("button", name="Register").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    save_screenshot(page, "journey-registered-en-desktop")

    registration = Registration.objects.get()
    assert registration.organisation_number == "974760673"
    assert registration.wants_one_to_one is True
    assert "/register/thanks/" in page.url

    page.goto(_link_from_outbox("kari@fjordsensor.example"))
    assert page.url == f"{live_asgi.url}/me/{conference.slug}/"
    assert page.get_by_text("Fjordsensor AS").first.is_visible()
    save_screenshot(page, "journey-personal-en-desktop")

    page.get_by_label("Language of our emails").select_option("nn")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()

    registration.refresh_from_db()
    assert registration.language == "nn"
    assert page.url == f"{live_asgi.url}/me/{conference.slug}/"


def axe_violations_page(page) -> list[dict]:
    """axe needs its script injected, which the strict CSP forbids: check a CSP-free copy."""
    context = page.context.browser.new_context(bypass_csp=True, locale="en-GB")
    try:
        copy = context.new_page()
        copy.goto(page.url)
        return axe_violations(copy)
    finally:
        context.close()
