"""The supplier's meeting page and the staff overview in Chromium: axe (WCAG 2.1 AA), the strict
CSP, and booking by keyboard. Run in their own process: ``pytest -m browser``."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from meetings.models import Meeting, Slot
from meetings.services import book_slot
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_tokens = itertools.count(1)


def _supplier_page(live_asgi, new_page, supplier_factory, **options):
    token = f"browser-meeting-{next(_tokens)}-abcdefghijklmnopqrstuvwxyz0123456789"
    registration = supplier_factory(token=token)
    page = new_page(**options)
    page.goto(f"{live_asgi.url}/r/{token}/")
    page.goto(f"{live_asgi.url}/me/fyrdialog/meeting/")
    return registration, page


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_booking_page_has_no_wcag_violations(
    live_asgi,
    new_page,
    meeting_settings,
    supplier_factory,
    lang,
    viewport,
):
    _registration, page = _supplier_page(
        live_asgi, new_page, supplier_factory, lang=lang, viewport=viewport, bypass_csp=True
    )

    assert page.locator("h1").count() == 1
    save_screenshot(page, f"meetings-booking-{lang}-{viewport}")
    assert axe_violations(page) == []


def test_book_by_keyboard_without_csp_violations(
    live_asgi,
    new_page,
    meeting_settings,
    supplier_factory,
):
    registration, page = _supplier_page(live_asgi, new_page, supplier_factory, lang="en")
    csp_errors: list[str] = []
    page.on(
        "console", lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None
    )
    first_slot = page.locator("section[aria-labelledby=slots-heading] button").first

    first_slot.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Meeting.objects.filter(registration_id=registration.pk).count() == 0
    page.get_by_role("button", name="Confirm booking").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.get_by_text("Your meeting is booked").is_visible()
    assert Meeting.objects.filter(registration_id=registration.pk).count() == 1
    assert csp_errors == []


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_staff_overview_has_no_wcag_violations(
    live_asgi,
    new_page,
    meeting_settings,
    supplier_factory,
    viewport,
):
    slot = Slot.objects.order_by("starts_at", "team__name").first()
    book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    client = Client()
    client.force_login(make_staff())
    page = new_page(lang="en", viewport=viewport, bypass_csp=True)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_asgi.url,
            }
        ]
    )

    page.goto(f"{live_asgi.url}/staff/meetings/fyrdialog/")

    assert page.locator("table.meetings-overview").count() == 1
    save_screenshot(page, f"meetings-overview-{viewport}")
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
