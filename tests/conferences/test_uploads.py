"""Resumable uploads of recordings and documents in the admin (tus core protocol): chunks,
resume, ownership, content checks, duration, the form that keeps the upload, and the purge."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus, UploadKind
from conferences.models import Document, Recording, Upload
from conferences.services.uploads import (
    UploadInterrupted,
    append_chunk,
    purge_abandoned_uploads,
    read_duration,
    start_upload,
)
from dialogkonferanse.celery import app as celery_app
from tests.conferences.package_factories import PDF, recording_form, webm_bytes
from tests.factories import make_conference, make_moderator, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "upload_dir")]

DEMO_WEBM = Path(__file__).resolve().parents[2] / "conferences" / "demo_media" / "demo.webm"
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
RECORDING_UPLOADS = "admin:conferences_recording_upload_create"
DOCUMENT_UPLOADS = "admin:conferences_document_upload_create"


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.UPLOAD_TEMP_DIR = tmp_path / "uploads-in-progress"
    return settings.UPLOAD_TEMP_DIR


@pytest.fixture
def conference():
    return make_conference(status=ConferenceStatus.FOLLOW_UP)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _create(client, length: int, *, name: str = "opptak.webm", endpoint=RECORDING_UPLOADS):
    response = client.post(
        reverse(endpoint),
        content_type="application/octet-stream",
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=f"filename {_b64(name)},filetype {_b64('video/webm')}",
        **TUS,
    )
    assert response.status_code == 201, response.content
    return response["Location"]


def _patch(client, url: str, offset: int, data: bytes, **extra):
    return client.generic(
        "PATCH",
        url,
        data,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
        **extra,
    )


def _offset(client, url: str) -> int:
    response = client.head(url, **TUS)
    assert response.status_code == 200
    return int(response["Upload-Offset"])


def _upload_all(client, content: bytes, chunk: int, **kwargs) -> str:
    url = _create(client, len(content), **kwargs)
    for start in range(0, len(content), chunk):
        response = _patch(client, url, start, content[start : start + chunk])
        assert response.status_code == 204, response.content
        assert int(response["Upload-Offset"]) == min(start + chunk, len(content))
    return url


def _upload_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


class _DroppingStream:
    """A request body whose connection drops after ``keep`` bytes."""

    def __init__(self, data: bytes, keep: int) -> None:
        self.buffer = io.BytesIO(data[:keep])

    def read(self, size: int = -1) -> bytes:
        block = self.buffer.read(size)
        if not block:
            raise OSError("connection reset by peer")
        return block


def test_chunked_upload_round_trip_hash_equals_sha256_of_the_file(staff_client, conference):
    content = webm_bytes(3_500_000)

    url = _upload_all(staff_client, content, chunk=1_000_000)
    info = staff_client.get(url, **TUS).json()

    assert info["complete"] is True
    assert info["sha256"] == hashlib.sha256(content).hexdigest()
    upload = Upload.objects.get(pk=_upload_id(url))
    assert upload.path.read_bytes() == content

    response = staff_client.post(
        reverse("admin:conferences_recording_add"),
        recording_form(conference, video_file_upload=_upload_id(url)),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    recording = Recording.objects.get(title_nb="Hovedsending")
    assert recording.sha256 == hashlib.sha256(content).hexdigest()
    assert recording.size == len(content)
    assert recording.content_type == "video/webm"
    with recording.video_file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == recording.sha256
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not upload.path.exists()


def test_document_upload_round_trip_attaches_the_pdf(staff_client, conference):
    content = PDF + b"%" + b"x" * 200_000 + b"\n%%EOF\n"

    url = _upload_all(staff_client, content, chunk=64_000, endpoint=DOCUMENT_UPLOADS, name="a.pdf")
    response = staff_client.post(
        reverse("admin:conferences_document_add"),
        {
            "conference": conference.pk,
            "title_nb": "Presentasjon",
            "order": "0",
            "file_upload": _upload_id(url),
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get(title_nb="Presentasjon")
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)


def test_upload_resumes_from_server_offset_after_an_interrupted_chunk(
    staff, staff_client, conference
):
    content = webm_bytes(2_000_000)
    url = _create(staff_client, len(content))
    assert _patch(staff_client, url, 0, content[:500_000]).status_code == 204

    # The next chunk's connection drops after 123 456 of its 500 000 bytes.
    with pytest.raises(UploadInterrupted):
        append_chunk(
            upload_id=_upload_id(url),
            owner=staff,
            offset=500_000,
            stream=_DroppingStream(content[500_000:1_000_000], keep=123_456),
            content_length=500_000,
        )
    offset = _offset(staff_client, url)
    stale = _patch(staff_client, url, 500_000, content[500_000:1_000_000])
    for start in range(offset, len(content), 700_000):
        response = _patch(staff_client, url, start, content[start : start + 700_000])
        assert response.status_code == 204

    assert offset == 623_456
    assert stale.status_code == 409
    info = staff_client.get(url, **TUS).json()
    assert info["sha256"] == hashlib.sha256(content).hexdigest()
    assert Upload.objects.get(pk=_upload_id(url)).path.read_bytes() == content


def test_upload_of_another_staff_user_is_refused(staff_client, roles, conference):
    content = webm_bytes(100_000)
    url = _create(staff_client, len(content))
    assert _patch(staff_client, url, 0, content[:50_000]).status_code == 204
    other = Client(headers={"accept-language": "en"})
    other.force_login(make_staff())

    head = other.head(url, **TUS)
    patch = _patch(other, url, 50_000, content[50_000:])
    delete = other.delete(url, **TUS)
    form = other.post(
        reverse("admin:conferences_recording_add"),
        recording_form(conference, video_file_upload=_upload_id(url)),
    )

    assert (head.status_code, patch.status_code, delete.status_code) == (404, 404, 404)
    upload = Upload.objects.get(pk=_upload_id(url))
    assert upload.offset == 50_000
    assert upload.path.read_bytes() == content[:50_000]
    assert form.status_code == 200
    assert "This upload does not exist or is not yours." in form.content.decode()
    assert not Recording.objects.exists()


def test_upload_endpoints_refuse_anonymous_and_staff_without_recording_rights(roles):
    anonymous = Client()
    moderator = Client()
    moderator.force_login(make_moderator())

    to_login = anonymous.post(reverse(RECORDING_UPLOADS), HTTP_UPLOAD_LENGTH="10", **TUS)
    refused = moderator.post(reverse(RECORDING_UPLOADS), HTTP_UPLOAD_LENGTH="10", **TUS)

    assert to_login.status_code == 302
    assert "/login/" in to_login["Location"]
    assert refused.status_code == 403
    assert not Upload.objects.exists()


def test_upload_needs_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(reverse(RECORDING_UPLOADS), HTTP_UPLOAD_LENGTH="10", **TUS)

    assert response.status_code == 403
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nb", "Last opp en videofil i MP4- eller WebM-format."),
        ("nn", "Last opp ei videofil i MP4- eller WebM-format."),
        ("en", "Upload an MP4 or WebM video file."),
    ],
)
def test_non_video_content_is_refused_for_recordings_with_translated_message(
    staff, upload_dir, lang, message
):
    client = Client(headers={"accept-language": lang})
    client.force_login(staff)
    content = PDF * 1000  # named .webm, but the bytes are a PDF
    url = _create(client, len(content), name="sending.webm")

    response = _patch(client, url, 0, content[:4096])

    assert response.status_code == 415
    assert response.content.decode() == message
    assert not Upload.objects.exists()
    assert list(upload_dir.iterdir()) == []


def test_document_endpoint_refuses_a_video(staff_client):
    content = webm_bytes(5000)
    url = _create(staff_client, len(content), name="slides.pdf", endpoint=DOCUMENT_UPLOADS)

    response = _patch(staff_client, url, 0, content)

    assert response.status_code == 415
    assert response.content.decode() == "Upload a PDF document."


def test_recording_upload_over_the_size_limit_is_refused(staff_client, settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 2_000_000_000

    response = staff_client.post(reverse(RECORDING_UPLOADS), HTTP_UPLOAD_LENGTH="2000000001", **TUS)

    assert response.status_code == 413
    assert response.content.decode() == "The video file is too large (at most 2.0 GB)."
    assert not Upload.objects.exists()


def test_chunk_past_the_announced_length_is_refused(staff_client):
    url = _create(staff_client, 10_000)

    response = _patch(staff_client, url, 0, webm_bytes(10_001))

    assert response.status_code == 413
    assert _offset(staff_client, url) == 0


def test_recording_endpoint_cannot_write_a_document_upload(staff_client):
    url = _create(staff_client, len(PDF), name="a.pdf", endpoint=DOCUMENT_UPLOADS)
    recording_url = url.replace("/document/", "/recording/")

    response = _patch(staff_client, recording_url, 0, PDF)

    assert response.status_code == 404
    assert Upload.objects.get().offset == 0


def test_duration_is_read_from_the_demo_webm():
    # Written by Chromium's MediaRecorder: no duration in the header, found by reading it all.
    assert read_duration(DEMO_WEBM) == dt.timedelta(seconds=6)


def test_unreadable_video_has_no_duration_and_no_error(tmp_path):
    broken = tmp_path / "broken.webm"
    broken.write_bytes(webm_bytes(50_000))

    assert read_duration(broken) is None


def test_uploaded_demo_video_fills_the_duration_of_the_form(staff_client, conference):
    content = DEMO_WEBM.read_bytes()
    url = _upload_all(staff_client, content, chunk=5000)

    info = staff_client.get(url, **TUS).json()
    response = staff_client.post(
        reverse("admin:conferences_recording_add"),
        recording_form(conference, video_file_upload=_upload_id(url)),
    )

    assert info["duration"] == "00:00:06"
    assert info["duration_message"] == ""
    assert response.status_code == 302
    recording = Recording.objects.get()
    assert recording.duration == dt.timedelta(seconds=6)


def test_unreadable_duration_gives_a_translated_message_and_stays_editable(staff, conference):
    client = Client(headers={"accept-language": "nb"})
    client.force_login(staff)
    url = _upload_all(client, webm_bytes(40_000), chunk=40_000)

    info = client.get(url, **TUS).json()
    response = client.post(
        reverse("admin:conferences_recording_add"),
        recording_form(conference, video_file_upload=_upload_id(url), duration="0:45:00"),
    )

    assert info["duration"] == ""
    assert info["duration_message"] == (
        "Varigheten kunne ikke leses fra filen. Skriv den inn selv, for eksempel 1:32:10."
    )
    assert response.status_code == 302
    assert Recording.objects.get().duration == dt.timedelta(minutes=45)


@pytest.mark.parametrize(
    ("lang", "banner"),
    [("nb", "Rett opp feilen nedenfor."), ("nn", "Rett opp feilen nedanfor.")],
)
def test_form_error_keeps_the_upload_and_shows_a_norwegian_banner(staff, conference, lang, banner):
    client = Client(headers={"accept-language": lang})
    client.force_login(staff)
    content = webm_bytes(300_000)
    url = _upload_all(client, content, chunk=100_000)
    upload_id = _upload_id(url)

    invalid = client.post(
        reverse("admin:conferences_recording_add"),
        recording_form(conference, video_file_upload=upload_id, title_nb=""),
    )
    page = invalid.content.decode()
    valid = client.post(
        reverse("admin:conferences_recording_add"),
        recording_form(conference, video_file_upload=upload_id),
    )

    assert invalid.status_code == 200
    assert banner in page
    assert "Please correct" not in page
    assert re.search(rf'name="video_file_upload" value="{upload_id}"', page)
    assert "opptak.webm" in page
    assert valid.status_code == 302
    assert Recording.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_recording_picker_accepts_only_video_and_document_picker_only_pdf(staff_client):
    recording_page = staff_client.get(reverse("admin:conferences_recording_add")).content.decode()
    document_page = staff_client.get(reverse("admin:conferences_document_add")).content.decode()

    assert re.search(
        r'<input type="file" name="video_file"[^>]*accept="video/mp4,video/webm,\.mp4,\.webm"',
        recording_page,
    )
    assert re.search(
        r'<input type="file" name="file"[^>]*accept="application/pdf,\.pdf"', document_page
    )
    assert "vendor/tus-js-client/tus.min.js" in recording_page


def test_cancel_deletes_the_upload_and_its_file(staff_client):
    url = _create(staff_client, 20_000)
    _patch(staff_client, url, 0, webm_bytes(20_000)[:8000])
    path = Upload.objects.get().path

    response = staff_client.delete(url, **TUS)

    assert response.status_code == 204
    assert not Upload.objects.exists()
    assert not path.exists()


def test_purge_deletes_abandoned_uploads_and_stray_files_only(staff, settings, upload_dir):
    old = start_upload(owner=staff, kind=UploadKind.RECORDING, length=100, filename="old.webm")
    fresh = start_upload(owner=staff, kind=UploadKind.RECORDING, length=100, filename="new.webm")
    Upload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(hours=25))
    stray = upload_dir / "0123456789abcdef0123456789abcdef.part"
    stray.write_bytes(b"left behind")
    long_ago = (timezone.now() - dt.timedelta(hours=30)).timestamp()
    os.utime(stray, (long_ago, long_ago))

    removed = purge_abandoned_uploads()

    assert removed == 1
    assert list(Upload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not old.path.exists()
    assert fresh.path.exists()
    assert not stray.exists()


def test_purge_task_is_registered_and_scheduled(staff, settings):
    old = start_upload(owner=staff, kind=UploadKind.DOCUMENT, length=10, filename="a.pdf")
    Upload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=3))

    result = celery_app.tasks["conferences.purge_abandoned_uploads"].apply().get()

    assert result == 1
    assert not Upload.objects.exists()
    schedule = settings.CELERY_BEAT_SCHEDULE["conferences-purge-abandoned-uploads"]
    assert schedule["task"] == "conferences.purge_abandoned_uploads"
