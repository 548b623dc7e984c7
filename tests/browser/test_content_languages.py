"""Conference content in three languages, in Chromium: the admin's per-language fields and
translation status, and the English page whose missing English text falls back to Bokmål,
checked with axe-core (WCAG 2.0-2.2 A and AA)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conferences.choices import ConferenceStatus
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import make_conference, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conference(roles):
    """Offered in Nynorsk and English, the English description missing."""
    return make_conference(
        status=ConferenceStatus.PUBLISHED,
        agenda_items=2,
        offers_nn=True,
        offers_en=True,
        title_nb="Dialog om farleder",
        title_nn="Dialog om farleier",
        title_en="Dialogue on fairways",
        summary_nb="Vi vil høre fra markedet.",
        summary_nn="Vi vil høyre frå marknaden.",
        summary_en="We want to hear from the market.",
        description_nb="Konferansen strømmes i nettleseren.",
        description_nn="Konferansen blir strøymd i nettlesaren.",
        description_en=None,
    )


def _logged_in(live_asgi, new_page, user, **page_options):
    client = Client()
    client.force_login(user)
    page = new_page(**page_options)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_asgi.url}]
    )
    return page


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_admin_language_fields_and_translation_status_have_no_wcag_violations(
    live_asgi, new_page, conference, lang
):
    page = _logged_in(live_asgi, new_page, make_staff(), lang=lang, bypass_csp=True)

    response = page.goto(
        live_asgi.url + reverse("admin:conferences_conference_change", args=[conference.pk])
    )

    assert response.status == 200
    assert page.locator("#id_title_nn").input_value() == "Dialog om farleier"
    label = page.locator('label[for="id_title_nn"]').inner_text()
    assert "ynorsk" in label  # the label names the language ("Title (Norwegian Nynorsk)")
    status = page.locator("#translation-status")
    assert status.locator("caption").count() == 1
    assert status.locator("tbody tr").count() >= 1
    save_screenshot(page, f"admin-conference-languages-{lang}-desktop")
    assert axe_violations(page) == []


def test_english_page_with_bokmal_fallback_has_no_wcag_violations(live_asgi, new_page, conference):
    page = new_page(lang="en", bypass_csp=True)

    response = page.goto(live_asgi.url + conference.get_absolute_url())

    assert response.status == 200
    assert page.locator("h1").inner_text() == "Dialogue on fairways"
    fallback = page.locator('div[lang="nb"]').first
    assert fallback.inner_text() == "Konferansen strømmes i nettleseren."
    assert page.locator(".translation-note").first.inner_text() == "Not available in English"
    save_screenshot(page, "public-detail-fallback-en-desktop")
    assert axe_violations(page) == []
