"""The archive and the information package in a real browser: accessible (axe) in nb and en on
desktop and phone, the chapter list seeks the player by keyboard, nothing loads from other hosts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from conferences.choices import ConferenceStatus
from conferences.demo import CAPTIONS, DEMO_VIDEO, _webvtt
from conferences.models import Caption, Chapter, Recording
from conferences.package.publishing import publish_recording, save_recording
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.conferences.package_factories import make_clarification, make_document
from tests.factories import make_conference, make_question, make_registration

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
        recorded_started_at=conference.starts_at,
        transcript="Velkommen til dialogkonferansen.\nBehovet.\nKonkurransen.",
    )
    recording.video_file = ContentFile(DEMO_VIDEO.read_bytes(), name="demo.webm")
    save_recording(recording=recording, changed_fields={"video_file"})
    for language, cues in CAPTIONS.items():
        Caption.objects.create(
            recording=recording,
            language=language,
            file=ContentFile(_webvtt(cues), name=f"{language}.vtt"),
        )
    Chapter.objects.bulk_create(
        Chapter(recording=recording, start=dt.timedelta(seconds=s), title=t)
        for s, t in [(0, "Velkommen"), (2, "Behovet"), (4, "Konkurransen")]
    )
    publish_recording(recording_id=recording.pk, actor=None)
    external = Recording.objects.create(
        conference=conference,
        title="Paneldebatt",
        order=2,
        external_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        provider="youtube",
    )
    publish_recording(
        recording_id=external.pk, actor=None, caption_override_reason="Tekstet hos YouTube."
    )
    make_document(conference=conference, published=True, title="Lysark")
    make_clarification(conference=conference, published=True, title="Om opsjoner")
    make_question(
        registration=make_registration(conference=conference, listed_publicly=True),
        status="answered",
        answered_live=True,
        answered_at=conference.starts_at + dt.timedelta(seconds=3),
        text="Når kunngjøres konkurransen?",
    )
    return conference


def _package_path(conference) -> str:
    return reverse("conferences:package", kwargs={"slug": conference.slug})


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("page_name", ["archive", "package"])
def test_archive_pages_have_no_wcag_violations(
    live_asgi, new_page, conference, lang, viewport, page_name
):
    path = reverse("conferences:archive") if page_name == "archive" else _package_path(conference)
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)

    page.goto(live_asgi.url + path)
    save_screenshot(page, f"archive-{page_name}-{lang}-{viewport}")

    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("link", name=conference.title).count() >= 1
    assert axe_violations(page) == []


def test_chapter_link_by_keyboard_seeks_the_player(live_asgi, new_page, conference):
    page = new_page(lang="en")
    page.goto(live_asgi.url + _package_path(conference))
    video = page.locator("video")

    page.get_by_role("link", name="0:02 Behovet").focus()
    page.keyboard.press("Enter")

    assert video.evaluate("v => v.currentTime") == 2
    assert video.evaluate("v => v.paused") is True  # nothing plays by itself
    assert page.evaluate("document.activeElement.tagName") == "VIDEO"
    assert page.url == live_asgi.url + _package_path(conference)  # stayed on the page


def test_live_answer_link_seeks_to_the_moment_it_was_answered(live_asgi, new_page, conference):
    page = new_page(lang="en")
    page.goto(live_asgi.url + _package_path(conference))

    page.get_by_role("link", name="Answered live at 0:03 in “Hovedsending”").click()

    assert page.locator("video").evaluate("v => v.currentTime") == 3


def test_player_has_captions_and_plays_the_served_file(live_asgi, new_page, conference):
    page = new_page(lang="nb")
    page.goto(live_asgi.url + _package_path(conference))
    video = page.locator("video")

    video.evaluate(
        "v => new Promise(r => v.readyState >= 1 ? r() : v.addEventListener('loadedmetadata', r))"
    )
    tracks = video.evaluate(
        "v => Array.from(v.textTracks).map(t => [t.kind, t.language, t.label, t.mode])"
    )

    assert video.evaluate("v => v.autoplay") is False
    # The page's language is the default track; the other is one click away.
    assert sorted(tracks) == [
        ["captions", "en", "Engelsk", "disabled"],
        ["captions", "nb", "Norsk bokmål", "showing"],
        ["captions", "nn", "Norsk nynorsk", "disabled"],
    ]
    assert video.evaluate("v => v.videoWidth") == 320


def test_package_loads_nothing_from_other_hosts_until_the_player_is_clicked(
    live_asgi, new_page, conference
):
    page = new_page(lang="en")
    errors: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))

    page.goto(live_asgi.url + _package_path(conference))
    page.wait_for_load_state("networkidle")
    hosts_before_click = set(hosts)
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.abort())
    page.get_by_role("link", name="Show the video player").click()
    frame = page.locator("iframe")

    assert errors == []
    assert hosts_before_click == {f"127.0.0.1:{live_asgi.port}"}
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert frame.get_attribute("title") == "Video: Paneldebatt"
