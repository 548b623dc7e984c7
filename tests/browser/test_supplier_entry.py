"""Entry from anywhere, in Chromium: a personal link from any email opens the supplier's page
in a fresh browser (another device); asking for a new link, or a stranger registering the
address again, leaves the links already sent working. Emails travel through the real outbox,
a Celery worker and an SMTP server; both viewports, Norwegian and English."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from registrations.models import Registration
from registrations.services import register_supplier, send_due_reminders
from tests.browser.fixtures import save_screenshot
from tests.factories import make_conference, make_registration
from tests.registrations.test_services import _details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VARIANTS = [
    pytest.param(lang, viewport, id=f"{lang}-{viewport}")
    for lang in ("nb", "en")
    for viewport in ("desktop", "phone")
]


def _links(message, base: str) -> list[str]:
    """The personal links in a delivered email's text, in order."""
    text = message.get_body(("plain",)).get_content()
    return re.findall(rf"{re.escape(base)}/r/[A-Za-z0-9_-]{{43}}/(?:stream/|meeting/)?", text)


def _personal_link(message, base: str) -> str:
    """The email's link to the personal page (its stream link carries the same token)."""
    [link] = [link for link in _links(message, base) if link.count("/") == 5]
    return link


@pytest.mark.parametrize(("lang", "viewport"), VARIANTS)
def test_link_from_the_hour_reminder_opens_the_stream_page_in_a_fresh_browser(
    live_asgi, new_page, settings, smtp_server, celery_worker, lang, viewport
):
    settings.SITE_URL = live_asgi.url
    starts = timezone.now() + dt.timedelta(minutes=40)
    conference = make_conference(
        title="Fyrdialog direkte",
        starts_at=starts,
        registration_opens_at=starts - dt.timedelta(days=5),
        registration_closes_at=starts,
    )
    registration = make_registration(conference=conference, language=lang)
    Registration.objects.filter(pk=registration.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )

    assert send_due_reminders() == 1
    [reminder] = smtp_server.wait_for(1)
    [link] = _links(reminder, live_asgi.url)
    assert link.endswith("/stream/")

    page = new_page(lang=lang, viewport=viewport)  # another device: no cookie, no session
    page.goto(link)

    assert page.url == f"{live_asgi.url}/me/{conference.slug}/stream/"
    assert page.get_by_role("heading", level=1).inner_text() == "Fyrdialog direkte"
    save_screenshot(page, f"entry-reminder-stream-{lang}-{viewport}")


@pytest.mark.parametrize(("lang", "viewport"), VARIANTS)
def test_second_link_request_leaves_the_first_link_working(
    live_asgi, new_page, settings, smtp_server, celery_worker, lang, viewport
):
    settings.SITE_URL = live_asgi.url
    settings.REGISTRATION_RESEND_RATE_LIMIT = ""
    conference = make_conference(title="Fyrdialog")
    register_supplier(conference_id=conference.pk, details=_details(language=lang))
    [confirmation] = smtp_server.wait_for(1)
    first = _personal_link(confirmation, live_asgi.url)

    page = new_page(lang=lang, viewport=viewport)
    page.goto(f"{live_asgi.url}/conferences/{conference.slug}/my-link/")
    page.locator("#id_email").fill("kari@fjordsensor.example")
    save_screenshot(page, f"entry-request-link-{lang}-{viewport}")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert page.url == f"{live_asgi.url}/conferences/{conference.slug}/my-link/sent/"
    save_screenshot(page, f"entry-link-sent-{lang}-{viewport}")
    _, second_email = smtp_server.wait_for(2)
    second = _personal_link(second_email, live_asgi.url)
    assert second != first

    for name, link in (("first", first), ("second", second)):
        device = new_page(lang=lang, viewport=viewport)
        device.goto(link)
        assert device.url == f"{live_asgi.url}/me/{conference.slug}/"
        assert device.get_by_text("Fjordsensor AS").first.is_visible()
        save_screenshot(device, f"entry-{name}-link-works-{lang}-{viewport}")


@pytest.mark.parametrize(("lang", "viewport"), VARIANTS)
def test_stranger_registering_the_address_again_leaves_the_links_working(
    live_asgi, new_page, settings, smtp_server, celery_worker, lang, viewport
):
    settings.SITE_URL = live_asgi.url
    settings.REGISTRATION_RATE_LIMIT = ""
    conference = make_conference(title="Fyrdialog")
    register_supplier(conference_id=conference.pk, details=_details(language=lang))
    [confirmation] = smtp_server.wait_for(1)
    supplier_link = _personal_link(confirmation, live_asgi.url)
    supplier = new_page(lang=lang, viewport=viewport)
    supplier.goto(supplier_link)
    assert supplier.url == f"{live_asgi.url}/me/{conference.slug}/"
    before = Registration.objects.values().get()

    stranger = new_page(lang=lang, viewport=viewport)
    stranger.goto(f"{live_asgi.url}/conferences/{conference.slug}/register/")
    stranger.locator("#id_organisation_name").fill("Kapring AS")
    stranger.locator("#id_organisation_number").fill("123456785")
    stranger.locator("#id_contact_name").fill("Mallory")
    stranger.locator("#id_email").fill("KARI@fjordsensor.example")
    stranger.locator("#id_privacy_acknowledged").check()
    save_screenshot(stranger, f"entry-stranger-form-{lang}-{viewport}")
    with stranger.expect_navigation():
        stranger.locator("form button[type=submit]").click()
    assert stranger.url == f"{live_asgi.url}/conferences/{conference.slug}/register/thanks/"
    save_screenshot(stranger, f"entry-stranger-thanks-{lang}-{viewport}")
    _, already = smtp_server.wait_for(2)

    assert Registration.objects.values().get() == before  # nothing changed
    supplier.reload()  # the supplier's open session goes on
    assert supplier.url == f"{live_asgi.url}/me/{conference.slug}/"
    assert supplier.get_by_text("Fjordsensor AS").first.is_visible()
    again = new_page(lang=lang, viewport=viewport)  # and the link works on a new device
    again.goto(supplier_link)
    assert again.url == f"{live_asgi.url}/me/{conference.slug}/"
    assert again.get_by_text("Fjordsensor AS").first.is_visible()
    save_screenshot(again, f"entry-link-after-stranger-{lang}-{viewport}")
    text = already.get_body(("plain",)).get_content()
    assert ("allerede påmeldt" if lang == "nb" else "already registered") in text
