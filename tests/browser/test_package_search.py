"""Search in the information package in a real browser: no WCAG violations (axe) on the
results page and the error message, at 1280 and 375 px; a hit opens the player at its moment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus
from conferences.demo import CAPTIONS, DEMO_VIDEO, _webvtt
from conferences.models import Caption, Recording
from conferences.package.publishing import publish_recording, save_recording
from qa.models import Answer
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.conferences.package_factories import make_clarification, make_document
from tests.factories import make_conference, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conference(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    conference = make_conference(
        title="Digital overvåking av farleder", status=ConferenceStatus.FOLLOW_UP
    )
    recording = Recording(
        conference=conference,
        title="Hovedsending",
        order=1,
        duration=dt.timedelta(seconds=6),
        transcript_nb="[0:00:02] Behovet: et møte om farleder.",
    )
    recording.video_file = ContentFile(DEMO_VIDEO.read_bytes(), name="demo.webm")
    save_recording(recording=recording, changed_fields={"video_file"})
    for language, cues in CAPTIONS.items():
        Caption.objects.create(
            recording=recording,
            language=language,
            file=ContentFile(_webvtt(cues), name=f"{language}.vtt"),
        )
    publish_recording(recording_id=recording.pk, actor=None)
    make_document(conference=conference, published=True, title="Lysark om møtet")
    make_clarification(
        conference=conference, published=True, title="Om møter", text="Alle møtene er digitale."
    )
    for n in range(3):
        question = make_question(
            conference=conference, status="answered", text=f"Spørsmål {n}: hvor lenge varer møtet?"
        )
        Answer.objects.create(
            question=question,
            text_nb="Hvert møte varer en time. <b>Ikke fet</b>",
            text_en="Each meeting lasts an hour.",
            published_at=timezone.now(),
        )
    return conference


def _search_path(conference) -> str:
    return reverse("conferences:package_search", kwargs={"slug": conference.slug})


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_search_results_have_no_wcag_violations(live_asgi, new_page, conference, lang, viewport):
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    page.goto(live_asgi.url + reverse("conferences:package", kwargs={"slug": conference.slug}))

    page.get_by_role("searchbox").fill("møtene" if lang == "nb" else "meetings")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url("**/information/search/**")
    save_screenshot(page, f"archive-search-{lang}-{viewport}")

    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("ol.search-hits > li").count() >= 3
    assert page.locator("mark").count() >= 3
    assert page.locator("b", has_text="Ikke fet").count() == 0  # shown as text, not markup
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_search_message_for_an_empty_query_has_no_wcag_violations(
    live_asgi, new_page, conference, viewport
):
    page = new_page(lang="nb", viewport=viewport, bypass_csp=True)
    page.goto(live_asgi.url + reverse("conferences:archive_search") + "?q=")
    save_screenshot(page, f"archive-search-empty-nb-{viewport}")

    assert page.get_by_text("Skriv inn ett eller flere ord å søke etter.").is_visible()
    assert page.get_by_role("searchbox").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []


def test_transcript_hit_opens_the_player_at_its_moment_without_playing(
    live_asgi, new_page, conference
):
    page = new_page(lang="nb")
    page.goto(live_asgi.url + _search_path(conference) + "?q=farleder")

    page.get_by_role("link", name="Ved 0:02 i «Hovedsending»").click()
    page.wait_for_url("**/information/?t=2#recording-*")
    video = page.locator("video")
    expect(video).to_have_js_property("currentTime", 2)

    assert video.evaluate("v => v.paused") is True
