"""Uploads straight from the browser to S3-compatible storage (presigned multipart), against a
real S3 API server (moto's ``moto_server`` in its own process): parts, resume, ownership, the
content check, the form that attaches the object, and the SHA-256 and duration read back by the
task it queues."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path

import httpx
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import Recording, Upload
from conferences.package.stored_files import hash_stored_file
from conferences.services.uploads import purge_abandoned_uploads
from tests.conferences.conftest import BUCKET, PART
from tests.conferences.package_factories import PDF, recording_form, webm_bytes
from tests.factories import make_conference, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "s3")]

DEMO_WEBM = Path(__file__).resolve().parents[2] / "conferences" / "demo_media" / "demo.webm"
CREATE = "admin:conferences_recording_direct_create"


def _post_json(client, url: str, data: dict):
    return client.post(url, json.dumps(data), content_type="application/json")


def _create(client, content: bytes, name: str = "opptak.webm") -> dict:
    response = _post_json(client, reverse(CREATE), {"filename": name, "length": len(content)})
    assert response.status_code == 201, response.content
    return response.json()


def _put_parts(client, info: dict, content: bytes, numbers: list[int]) -> None:
    urls = _post_json(client, info["sign_url"], {"parts": numbers}).json()["urls"]
    size = info["part_size"]
    for n in numbers:
        # The browser's request: straight to the storage, not through the web server.
        response = httpx.put(urls[str(n)], content=content[(n - 1) * size : n * size])
        assert response.status_code == 200, response.text


def _form(conference, upload_id: str) -> dict:
    return recording_form(
        conference, title="Direkte", title_nb="Direkte", video_file_upload=upload_id
    )


def test_direct_upload_round_trip_hash_and_attach(
    staff_client, s3, django_capture_on_commit_callbacks
):
    content = webm_bytes(3 * PART + 1234)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    page = staff_client.get(reverse("admin:conferences_recording_add")).content.decode()

    info = _create(staff_client, content)
    _put_parts(staff_client, info, content, [1, 2, 3, 4])
    completed = _post_json(staff_client, info["complete_url"], {}).json()
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(
            reverse("admin:conferences_recording_add"), _form(conference, info["id"])
        )
    recording = Recording.objects.get()
    change_page = staff_client.get(
        reverse("admin:conferences_recording_change", args=[recording.pk])
    ).content.decode()
    queued = [c.args for c in callbacks if c.args and c.args[0] == "conferences.hash_stored_file"]
    # The task, as the worker runs it: the object read back once, outside the request.
    hash_stored_file(**queued[0][1])
    recording.refresh_from_db()

    assert 'data-direct="1"' in page
    assert info["part_size"] == PART
    # No byte passed through the server: completing reads nothing back.
    assert completed["complete"] is True
    assert completed["sha256"] == ""
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Pending: computed from the stored file in a moment." in change_page
    assert len(queued) == 1
    assert recording.sha256 == hashlib.sha256(content).hexdigest()
    assert recording.size == len(content)
    assert recording.video_file.name.startswith(f"recordings/{conference.pk}/")
    stored = s3.get_object(Bucket=BUCKET, Key=recording.video_file.name)["Body"].read()
    assert stored == content
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [recording.video_file.name]
    assert not Upload.objects.exists()
    assert default_storage.exists(recording.video_file.name)


def test_direct_upload_resumes_from_the_parts_the_storage_reports(staff_client, s3):
    content = webm_bytes(4 * PART)
    info = _create(staff_client, content)
    _put_parts(staff_client, info, content, [1, 2])

    early = _post_json(staff_client, info["complete_url"], {})
    reported = staff_client.get(info["url"]).json()["parts"]
    _put_parts(staff_client, info, content, [3, 4])
    completed = _post_json(staff_client, info["complete_url"], {})

    assert early.status_code == 400
    assert early.json()["error"] == "Some parts of the file have not arrived yet."
    assert reported == [{"number": 1, "size": PART}, {"number": 2, "size": PART}]
    assert completed.status_code == 200
    assert completed.json()["complete"] is True
    assert completed.json()["offset"] == len(content)


def test_direct_upload_of_another_staff_user_is_refused(staff_client, s3, roles):
    content = webm_bytes(PART)
    info = _create(staff_client, content)
    other = Client()
    other.force_login(make_staff())

    answers = [
        other.get(info["url"]).status_code,
        _post_json(other, info["sign_url"], {"parts": [1]}).status_code,
        _post_json(other, info["complete_url"], {}).status_code,
        other.delete(info["url"]).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert Upload.objects.filter(pk=info["id"]).exists()
    assert staff_client.get(info["url"]).status_code == 200


def test_direct_upload_of_non_video_is_refused_in_norwegian(staff, s3):
    client = Client(headers={"accept-language": "nb"})
    client.force_login(staff)
    content = PDF * 10_000
    info = _create(client, content, name="sending.webm")
    numbers = list(range(1, -(-len(content) // PART) + 1))
    _put_parts(client, info, content, numbers)

    response = _post_json(client, info["complete_url"], {})

    assert response.status_code == 415
    assert response.json()["error"] == "Last opp en videofil i MP4- eller WebM-format."
    assert not Upload.objects.exists()
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def test_direct_upload_duration_is_read_with_the_hash_after_saving(
    staff_client, s3, django_capture_on_commit_callbacks
):
    content = DEMO_WEBM.read_bytes()
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    info = _create(staff_client, content)
    _put_parts(staff_client, info, content, [1])

    completed = _post_json(staff_client, info["complete_url"], {}).json()
    with django_capture_on_commit_callbacks() as callbacks:
        staff_client.post(reverse("admin:conferences_recording_add"), _form(conference, info["id"]))
    queued = [c.args for c in callbacks if c.args and c.args[0] == "conferences.hash_stored_file"]
    hash_stored_file(**queued[0][1])
    recording = Recording.objects.get()

    assert completed["duration"] == ""
    assert completed["duration_message"] == (
        "The duration and the SHA-256 are read from the stored file after you save; "
        "leave the duration empty to have it filled in."
    )
    assert recording.duration == dt.timedelta(seconds=6)
    assert recording.sha256 == hashlib.sha256(content).hexdigest()


def test_direct_upload_cancel_aborts_the_multipart_upload(staff_client, s3):
    content = webm_bytes(2 * PART)
    info = _create(staff_client, content)
    _put_parts(staff_client, info, content, [1])

    response = staff_client.delete(info["url"])

    assert response.status_code == 204
    assert not Upload.objects.exists()
    key = f"uploads-in-progress/{uuid.UUID(info['id']).hex}"
    pending = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert [u for u in pending if u["Key"] == key] == []


def test_purge_aborts_an_abandoned_direct_upload(staff_client, s3):
    content = webm_bytes(2 * PART)
    info = _create(staff_client, content)
    _put_parts(staff_client, info, content, [1])
    Upload.objects.update(updated_at=timezone.now() - dt.timedelta(days=2))

    removed = purge_abandoned_uploads()

    key = f"uploads-in-progress/{uuid.UUID(info['id']).hex}"
    pending = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert removed == 1
    assert not Upload.objects.exists()
    assert [u for u in pending if u["Key"] == key] == []
