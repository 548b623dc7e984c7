"""The information package file in a real browser: the button on the package page leads to the
"being prepared" page (accessible, axe, in nb and en, desktop and phone), which follows the real
worker's build and then offers the ZIP file; the download is the whole package."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.conferences.package_factories import make_clarification, make_document
from tests.factories import make_conference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUTTON = {"nb": "Last ned informasjonspakken", "en": "Download the information package"}
READY = {"nb": "Last ned ZIP-filen", "en": "Download the ZIP file"}


@pytest.fixture
def conference(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    conference = make_conference(
        title="Digital overvåking av farleder", status=ConferenceStatus.FOLLOW_UP
    )
    make_document(conference=conference, published=True, title="Lysark")
    make_clarification(conference=conference, published=True, title="Om opsjoner")
    return conference


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_preparing_page_follows_the_build_and_has_no_wcag_violations(
    live_asgi, new_page, conference, celery_worker, lang, viewport
):
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    page.goto(live_asgi.url + reverse("conferences:package", args=[conference.slug]))

    page.get_by_role("link", name=BUTTON[lang]).click()
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []
    ready = page.get_by_role("link", name=READY[lang])
    expect(ready).to_be_visible(timeout=60_000)
    save_screenshot(page, f"package-file-ready-{lang}-{viewport}")
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        ready.click()
    with open(download_info.value.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))

    assert download_info.value.suggested_filename == f"{conference.slug}-information-package.zip"
    assert f"{conference.slug}-information-package/summary-nb.pdf" in archive.namelist()
    assert archive.testzip() is None
