"""The resumable upload in a real browser (headless Chromium): a 300 MB recording through the
admin's recording form, with a chunk dropped on the way, against a uvicorn server process whose
memory is measured; and axe-core on the recording form at desktop and phone width.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus
from conferences.models import Recording, Upload
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.conferences.conftest import (
    PART,
    peak_memory,
    reset_peak_memory,
    s3_bucket,
    uvicorn_server,
)
from tests.factories import make_conference, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MB = 1024 * 1024
FILE_SIZE = 300 * MB
MAX_GROWTH = 50 * MB
EBML = b"\x1a\x45\xdf\xa3"


def _server(tmp_path: Path, **extra_env: str):
    return uvicorn_server(tmp_path, UPLOAD_TEMP_DIR=str(tmp_path / "uploads"), **extra_env)


@pytest.fixture
def server_process(tmp_path) -> Iterator[tuple[str, int]]:
    with _server(tmp_path) as server:
        yield server


def _part_number(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query))["partNumber"]


def _video_file(path: Path, size: int = FILE_SIZE) -> str:
    """A file that passes the WebM check, written (and hashed) one megabyte at a time."""
    digest = hashlib.sha256()
    block = bytes(range(256)) * (MB // 256)
    with path.open("wb") as handle:
        for i in range(size // MB):
            chunk = (EBML + block[4:]) if i == 0 else block[i % 256 :] + block[: i % 256]
            handle.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _staff_page(new_page, base: str, **page_options):
    client = Client()
    client.force_login(make_staff())
    page = new_page(**page_options)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    return page


def _recording_form_page(new_page, base: str, conference, title: str):
    """The recording form (Norwegian), signed in as staff, conference and title filled in."""
    page = _staff_page(new_page, base, lang="nb")
    page.goto(f"{base}/admin/conferences/recording/add/")
    page.locator("#id_conference").select_option(value=str(conference.pk))
    page.locator("#id_title_nb, #id_title").first.fill(title)  # per language, or one field
    return page


def test_300_mb_upload_shows_progress_survives_a_dropped_chunk_and_completes(
    server_process, new_page, tmp_path, roles
):
    base, pid = server_process
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP, title="Droner")
    source = tmp_path / "hovedsending.webm"
    expected = _video_file(source)
    page = _recording_form_page(new_page, base, conference, "Hovedsending")
    requests: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda request: (
            requests.append((request.method, request.headers.get("upload-offset", "")))
            if "/uploads/" in request.url
            else None
        ),
    )

    before = reset_peak_memory(pid)
    page.locator("#id_video_file").set_input_files(str(source))
    progress = page.locator(".resumable-upload progress")
    # The figures begin with the bar's percentage. expect() polls from Playwright's side; a
    # wait_for_function string is eval, which the Content-Security-Policy refuses.
    figures_line = page.locator(".resumable-upload-figures")
    expect(figures_line).to_have_text(re.compile(r"^([2-9]\d|100) % "), timeout=300_000)
    figures = figures_line.inner_text()
    save_screenshot(page, "recording-upload-in-progress")

    # The connection drops: the next chunk is cut off before it reaches the server.
    dropped: list[str] = []

    def drop_one(route):
        if route.request.method == "PATCH" and not dropped:
            dropped.append(route.request.headers.get("upload-offset", ""))
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/admin/conferences/recording/uploads/*/", drop_one)
    expect(figures_line).to_have_text(re.compile(r"^([6-9]\d|100) % "), timeout=300_000)
    page.unroute("**/admin/conferences/recording/uploads/*/")
    status = page.locator(".resumable-upload-status")
    status.filter(has_text="Lastet opp: hovedsending.webm").wait_for(timeout=300_000)
    growth = peak_memory(pid) - before

    assert re.search(r"^\d+ % · [\d,]+ MB av 315 MB · [\d,]+ MB/s", figures), figures
    assert len(dropped) == 1
    after_drop = requests[requests.index(("PATCH", dropped[0])) + 1 :]
    # The client asked the server where to continue, then sent the lost chunk again.
    assert after_drop[0] == ("HEAD", "")
    assert ("PATCH", dropped[0]) in after_drop
    assert progress.evaluate("el => el.value") == 100
    assert growth < MAX_GROWTH, f"server peak memory grew by {growth / MB:.1f} MB"
    upload = Upload.objects.get()
    assert upload.sha256 == expected
    assert page.locator("input[name=video_file_upload]").input_value() == str(upload.pk)

    page.locator("input[name=_save]").click()
    page.wait_for_url(f"{base}/admin/conferences/recording/")

    recording = Recording.objects.get(title_nb="Hovedsending")
    assert recording.sha256 == expected
    assert recording.size == FILE_SIZE
    assert not Upload.objects.exists()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_recording_add_form_has_no_wcag_violations(live_asgi, new_page, roles, viewport):
    page = _staff_page(new_page, live_asgi.url, lang="nb", viewport=viewport, bypass_csp=True)
    page.goto(f"{live_asgi.url}/admin/conferences/recording/add/")
    page.locator("#id_video_file").wait_for()

    assert axe_violations(page) == []


def test_direct_upload_to_s3_survives_a_dropped_part_and_attaches(
    s3_endpoint, new_page, tmp_path, roles
):
    """With S3 storage the browser sends the parts straight to the bucket (a local S3 API);
    one part's connection drops and the upload continues from the parts the storage holds."""
    bucket = f"upload-browser-{uuid.uuid4().hex[:8]}"
    client = s3_bucket(s3_endpoint, bucket)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP, title="Droner")
    source = tmp_path / "direkte.webm"
    expected = _video_file(source, size=8 * MB)
    s3_env = {
        "DJANGO_MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "UPLOAD_CHUNK_BYTES": str(PART * 4),
        # No broker: the server runs the hash task itself once the response has been sent.
        "CELERY_BROKER_URL": "",
    }
    with _server(tmp_path, **s3_env) as (base, _pid):
        page = _recording_form_page(new_page, base, conference, "Direkte")
        seen: list[tuple[str, str]] = []
        page.on(
            "request",
            lambda request: (
                seen.append((request.method, request.url))
                if "/uploads/" in request.url or request.url.startswith(s3_endpoint)
                else None
            ),
        )
        dropped: list[str] = []
        puts: list[str] = []

        def drop_third_part(route):
            if route.request.method == "PUT":
                puts.append(route.request.url)
                if len(puts) == 3:
                    dropped.append(route.request.url)
                    route.abort("connectionreset")
                    return
            route.continue_()

        page.route(f"{s3_endpoint}/**", drop_third_part)
        page.locator("#id_video_file").set_input_files(str(source))
        status = page.locator(".resumable-upload-status")
        status.filter(has_text="Lastet opp: direkte.webm").wait_for(timeout=120_000)
        page.locator("input[name=_save]").click()
        page.wait_for_url(f"{base}/admin/conferences/recording/")
        # The SHA-256 is read back from the bucket by a task after the save, not in a request.
        deadline = time.monotonic() + 60
        while not Recording.objects.get().sha256 and time.monotonic() < deadline:
            time.sleep(0.2)

    assert len(dropped) == 1
    after = seen[seen.index(("PUT", dropped[0])) + 1 :]
    # The client asked this server which parts the storage holds, then sent the lost one again.
    assert after[0][0] == "GET"
    assert "/uploads/direct/" in after[0][1]
    lost = _part_number(dropped[0])
    assert [_part_number(url) for method, url in after if method == "PUT"].count(lost) == 1
    assert not Upload.objects.exists()
    recording = Recording.objects.get()
    assert recording.sha256 == expected
    assert recording.size == 8 * MB
    stored = hashlib.sha256(
        client.get_object(Bucket=bucket, Key=recording.video_file.name)["Body"].read()
    )
    assert stored.hexdigest() == expected
