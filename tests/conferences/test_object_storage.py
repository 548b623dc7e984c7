"""Recordings and documents on S3-compatible object storage (``DJANGO_MEDIA_STORAGE=s3``),
against a real S3 API server (moto's ``moto_server`` in its own process): playback through
signed addresses and through the app (``AWS_S3_PROXY_MEDIA``) with range requests, multipart
uploads of files the server saves, the SHA-256 of files sent straight to the bucket read back by
a task, the publish check, and deleting the files of removed items after commit."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import httpx
import pytest
from asgiref.sync import async_to_sync
from boto3.s3.transfer import TransferConfig
from celery.signals import task_retry
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import AsyncClient, Client
from django.urls import reverse

from conferences.choices import ConferenceStatus, UploadKind
from conferences.exceptions import ConferenceError
from conferences.models import Caption, Document, Recording, Upload
from conferences.package import stored_files
from conferences.package.publishing import (
    publish_document,
    publish_recording,
    save_document,
    save_recording,
    unpublish_recording,
)
from conferences.package.stored_files import (
    delete_files_on_commit,
    delete_unreferenced_files,
    hash_pending_files,
    hash_stored_file,
)
from conferences.services.direct_uploads import place_direct_upload
from tests.conferences.conftest import BUCKET, ROOT, s3_storage_options
from tests.conferences.package_factories import (
    PDF,
    make_document,
    make_recording,
    recording_form,
    sha256,
    webm_bytes,
)
from tests.factories import make_conference, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

CONTENT = webm_bytes(700_000)
DEMO_WEBM = ROOT / "conferences" / "demo_media" / "demo.webm"


def _keys(s3) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _video_url(recording, **query: str) -> str:
    url = reverse(
        "conferences:recording_video",
        kwargs={"slug": recording.conference.slug, "pk": recording.pk},
    )
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _document_url(document) -> str:
    return reverse(
        "conferences:document_file",
        kwargs={"slug": document.conference.slug, "pk": document.pk},
    )


def _published_recording(content: bytes = CONTENT) -> Recording:
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP, slug="havner")
    return make_recording(conference=conference, content=content, published=True)


def _queued(callbacks) -> list[tuple[str, dict]]:
    """The tasks ``enqueue_on_commit`` queued: (name, keyword arguments)."""
    return [(c.args[0], c.args[1]) for c in callbacks if getattr(c, "args", None)]


# --- Playback through signed addresses ------------------------------------------------------


def test_video_redirects_to_a_short_lived_signed_address_that_answers_ranges(client, s3):
    recording = _published_recording()

    response = client.get(_video_url(recording), headers={"range": "bytes=100-1099"})
    location = response["Location"]
    ranged = httpx.get(location, headers={"Range": "bytes=100-1099"})
    whole = httpx.get(location)

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert location.startswith(s3.meta.endpoint_url + f"/{BUCKET}/{recording.video_file.name}?")
    assert "Signature=" in location
    assert "Expires=" in location or "X-Amz-Expires=" in location
    assert ranged.status_code == 206
    assert ranged.content == CONTENT[100:1100]
    assert ranged.headers["content-range"] == f"bytes 100-1099/{len(CONTENT)}"
    assert ranged.headers["content-type"] == "video/webm"
    assert ranged.headers["content-disposition"].startswith("inline;")
    assert whole.status_code == 200
    assert sha256(whole.content) == recording.sha256


def test_download_and_document_addresses_carry_their_type_and_attachment(client, s3):
    recording = _published_recording()
    document = make_document(conference=recording.conference, published=True, title="Plan")

    video = httpx.get(client.get(_video_url(recording, download="1"))["Location"])
    pdf = httpx.get(client.get(_document_url(document))["Location"])

    assert video.headers["content-disposition"].startswith("attachment;")
    assert video.headers["content-type"] == "video/webm"
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="plan.pdf"'
    assert pdf.headers["cache-control"] == "public, max-age=300"


def test_withdrawn_recording_gets_no_signed_address(client, s3):
    recording = _published_recording()
    unpublish_recording(recording_id=recording.pk, actor=None, reason="Feil fil")

    response = client.get(_video_url(recording))

    assert response.status_code == 404
    assert not response.has_header("Location")


def test_caption_track_is_read_from_storage_by_the_app(client, s3):
    recording = _published_recording()
    caption = recording.captions.get()

    response = client.get(
        reverse(
            "conferences:recording_captions",
            kwargs={"slug": recording.conference.slug, "pk": recording.pk, "language": "nb"},
        )
    )

    assert caption.file.name in _keys(s3)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.startswith(b"WEBVTT")


# --- Playback proxied through the app (AWS_S3_PROXY_MEDIA) -------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=100-199", 100, 199), ("bytes=-500", 699_500, 699_999), ("bytes=0-0", 0, 0)],
)
def test_proxied_video_streams_exactly_the_range_from_storage(
    client, s3, settings, header, first, last
):
    settings.AWS_S3_PROXY_MEDIA = True
    recording = _published_recording()

    response = client.get(_video_url(recording), headers={"range": header})

    assert response.status_code == 206
    assert response.streaming
    assert b"".join(response.streaming_content) == CONTENT[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/webm"


def test_proxied_video_under_asgi_streams_an_asynchronous_body(s3, settings):
    settings.AWS_S3_PROXY_MEDIA = True
    recording = _published_recording(webm_bytes(3 * 1024 * 1024))
    url = _video_url(recording)

    async def fetch():
        response = await AsyncClient().get(url, headers={"range": "bytes=1000-2500000"})
        assert response.is_async
        return response, [chunk async for chunk in response.streaming_content]

    response, chunks = async_to_sync(fetch)()

    assert response.status_code == 206
    assert b"".join(chunks) == webm_bytes(3 * 1024 * 1024)[1000:2500001]
    # Passed on block by block (1 MB at most), never as one piece.
    assert max(len(c) for c in chunks) <= 1024 * 1024
    assert len(chunks) >= 3


def test_proxied_whole_file_head_and_unsatisfiable_range(client, s3, settings):
    settings.AWS_S3_PROXY_MEDIA = True
    recording = _published_recording()
    url = _video_url(recording)

    whole = client.get(url)
    head = client.head(url)
    outside = client.get(url, headers={"range": f"bytes={len(CONTENT)}-"})

    assert whole.status_code == 200
    assert sha256(b"".join(whole.streaming_content)) == recording.sha256
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(CONTENT))
    assert head.content == b""
    assert outside.status_code == 416
    assert outside["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_proxied_file_missing_from_storage_is_not_found(client, s3, settings):
    settings.AWS_S3_PROXY_MEDIA = True
    recording = _published_recording()
    s3.delete_object(Bucket=BUCKET, Key=recording.video_file.name)

    response = client.get(_video_url(recording))

    assert response.status_code == 404


# --- Files the server saves: multipart, memory bounded --------------------------------------


def test_server_side_save_goes_up_in_multipart_parts_with_bounded_memory(
    s3, settings, s3_endpoint, tmp_path
):
    mb = 1024 * 1024
    chunk = 5 * mb  # S3's (and boto3's) smallest part
    config = TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=2)
    config.max_in_memory_upload_chunks = 2
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(s3_endpoint, transfer_config=config),
        },
    }
    size = 8 * chunk
    path = tmp_path / "stor.webm"
    with open(path, "wb") as handle:
        handle.write(webm_bytes(mb))
        for _ in range(size // mb - 1):
            handle.write(os.urandom(mb))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    recording = Recording(conference=conference, title="Stor")

    # The S3 client's service description (some 10 MB of Python objects, once per process)
    # is loaded before measuring: what is measured is what grows with the file.
    default_storage.save("warm-up.webm", ContentFile(webm_bytes(chunk + 1)))
    with open(path, "rb") as handle:
        recording.video_file = File(handle, name="stor.webm")
        tracemalloc.start()
        try:
            save_recording(recording=recording, changed_fields={"video_file"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    head = s3.head_object(Bucket=BUCKET, Key=recording.video_file.name)
    assert recording.sha256 == expected
    assert recording.size == size
    # A multipart object's entity tag ends in the number of parts.
    assert head["ETag"].strip('"').endswith("-8")
    assert recording.storage_etag == head["ETag"]
    # The 40 MB file never was in memory: the two parts allowed and the one being read.
    assert peak < 4 * chunk, peak


def test_settings_upload_in_bounded_multipart_parts():
    env = {
        **os.environ,
        "DJANGO_MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "dialogkonferanse",
        "AWS_S3_MULTIPART_CHUNKSIZE": str(16 * 1024 * 1024),
        "AWS_S3_MAX_CONCURRENCY": "3",
    }
    code = (
        "from django.conf import settings as s;"
        "c = s.STORAGES['default']['OPTIONS']['transfer_config'];"
        "print(c.multipart_threshold, c.multipart_chunksize, c.max_request_concurrency,"
        " c.max_in_memory_upload_chunks, s.AWS_S3_PROXY_MEDIA)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split() == ["16777216", "16777216", "3", "3", "False"]


# --- The SHA-256 of files sent straight to the bucket ----------------------------------------


def _direct_object(s3, staff, content: bytes, kind: str = UploadKind.RECORDING) -> Upload:
    """A completed direct upload, as the browser leaves it: the object in the bucket."""
    upload = Upload.objects.create(
        owner=staff,
        kind=kind,
        length=len(content),
        filename="opptak.webm" if kind == UploadKind.RECORDING else "plan.pdf",
        multipart_id="done",
    )
    s3.put_object(Bucket=BUCKET, Key=upload.object_key, Body=content)
    return upload


def _attach_direct(upload: Upload, item):
    """What saving the admin form does with a completed direct upload."""
    field = "video_file" if isinstance(item, Recording) else "file"
    name = item._meta.get_field(field).generate_filename(item, upload.filename)
    setattr(item, field, place_direct_upload(upload=upload, name=name))
    saver = save_recording if isinstance(item, Recording) else save_document
    kwargs = {"recording" if isinstance(item, Recording) else "document": item}
    return saver(**kwargs, changed_fields={field}, digest=(upload.sha256, upload.length))


def test_direct_upload_is_saved_with_its_hash_pending_and_a_task_reads_it(
    s3, django_capture_on_commit_callbacks
):
    staff = make_staff()
    content = DEMO_WEBM.read_bytes()
    upload = _direct_object(s3, staff, content)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)

    with django_capture_on_commit_callbacks() as callbacks:
        recording = _attach_direct(upload, Recording(conference=conference, title="Direkte"))
    pending = Recording.objects.get(pk=recording.pk)
    queued = _queued(callbacks)
    hashed = hash_stored_file(**queued[0][1])
    again = hash_stored_file(**queued[0][1])
    recording.refresh_from_db()

    assert (pending.sha256, pending.size, pending.storage_etag) == ("", len(content), "")
    assert queued == [
        (
            "conferences.hash_stored_file",
            {"kind": "recording", "item_id": recording.pk, "name": recording.video_file.name},
        )
    ]
    assert hashed is True
    assert again is False
    assert recording.sha256 == sha256(content)
    assert recording.size == len(content)
    assert (
        recording.storage_etag
        == s3.head_object(Bucket=BUCKET, Key=recording.video_file.name)["ETag"]
    )
    assert recording.duration.total_seconds() == 6


def test_hash_task_leaves_an_item_whose_file_changed_meanwhile(s3):
    staff = make_staff()
    upload = _direct_object(s3, staff, webm_bytes(5000))
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    recording = _attach_direct(upload, Recording(conference=conference, title="Direkte"))
    old_name = recording.video_file.name
    recording.video_file = ContentFile(webm_bytes(6000), name="ny.webm")
    save_recording(recording=recording, changed_fields={"video_file"})

    hashed = hash_stored_file(kind="recording", item_id=recording.pk, name=old_name)
    recording.refresh_from_db()

    assert hashed is False
    assert recording.sha256 == sha256(webm_bytes(6000))


def test_publish_is_refused_while_the_hash_is_pending(s3):
    staff = make_staff()
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    upload = _direct_object(s3, staff, PDF, kind=UploadKind.DOCUMENT)
    document = _attach_direct(upload, Document(conference=conference, title="Plan"))

    with pytest.raises(ConferenceError) as refused:
        publish_document(document_id=document.pk, actor=staff)
    hash_stored_file(kind="document", item_id=document.pk, name=document.file.name)
    published = publish_document(document_id=document.pk, actor=staff)

    assert str(refused.value) == (
        "The SHA-256 of “Plan” is still being computed from the stored file. Try again in a minute."
    )
    assert published.published_at is not None
    assert published.sha256 == sha256(PDF)


def test_publish_compares_the_entity_tag_and_notices_a_rewritten_object(s3):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    kept = make_recording(conference=conference, content=CONTENT)
    changed = make_recording(conference=conference, content=CONTENT)
    # Someone with access to the bucket rewrites the second object with other bytes.
    s3.put_object(Bucket=BUCKET, Key=changed.video_file.name, Body=webm_bytes(1000))

    published = publish_recording(recording_id=kept.pk, actor=None)
    with pytest.raises(ConferenceError) as refused:
        publish_recording(recording_id=changed.pk, actor=None)

    assert published.published_at is not None
    assert published.sha256 == sha256(CONTENT)
    assert "no longer matches the SHA-256" in str(refused.value)
    assert Recording.objects.get(pk=changed.pk).published_at is None


def test_sweep_queues_the_hash_of_items_whose_task_was_lost(s3, django_capture_on_commit_callbacks):
    staff = make_staff()
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    document = _attach_direct(
        _direct_object(s3, staff, PDF, kind=UploadKind.DOCUMENT),
        Document(conference=conference, title="Plan"),
    )
    make_recording(conference=conference, content=CONTENT)  # hashed already

    with django_capture_on_commit_callbacks() as callbacks:
        queued = hash_pending_files()

    assert queued == 1
    assert _queued(callbacks) == [
        (
            "conferences.hash_stored_file",
            {"kind": "document", "item_id": document.pk, "name": document.file.name},
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_hash_of_a_direct_upload_is_read_by_the_worker(s3, celery_worker, wait_until):
    staff = make_staff()
    content = webm_bytes(3 * 256 * 1024 + 17)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    recording = _attach_direct(
        _direct_object(s3, staff, content), Recording(conference=conference, title="Direkte")
    )

    wait_until(lambda: Recording.objects.get(pk=recording.pk).sha256, timeout=30)

    assert Recording.objects.get(pk=recording.pk).sha256 == sha256(content)


# --- Deleting the files of removed items ---------------------------------------------------------


def _wait_until_gone(s3, names: list[str]) -> list[str]:
    deadline = time.monotonic() + 30
    while (left := [n for n in names if n in _keys(s3)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.django_db(transaction=True)
def test_deleting_a_withdrawn_recording_deletes_its_files_after_commit(s3, roles, celery_worker):
    staff = make_staff()
    client = Client(headers={"accept-language": "nb"})
    client.force_login(staff)
    recording = _published_recording()
    names = [recording.video_file.name, recording.captions.get().file.name]
    other = make_document(conference=recording.conference)
    unpublish_recording(recording_id=recording.pk, actor=staff, reason="Feil opptak")

    response = client.post(
        reverse("admin:conferences_recording_delete", args=[recording.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not Caption.objects.exists()
    assert _wait_until_gone(s3, names) == []
    assert other.file.name in _keys(s3)


def test_published_recording_cannot_be_deleted_in_the_admin(s3, roles):
    staff = make_staff()
    client = Client(headers={"accept-language": "nb"})
    client.force_login(staff)
    recording = _published_recording()

    response = client.post(
        reverse("admin:conferences_recording_delete", args=[recording.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert recording.video_file.name in _keys(s3)


def test_rolled_back_deletion_deletes_nothing(s3, django_capture_on_commit_callbacks):
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP), content=CONTENT
    )

    def delete_then_fail() -> None:
        with transaction.atomic():
            Recording.objects.filter(pk=recording.pk).delete()
            delete_files_on_commit([recording.video_file.name])
            raise RuntimeError

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        delete_then_fail()

    assert Recording.objects.filter(pk=recording.pk).exists()
    assert _queued(callbacks) == []
    assert recording.video_file.name in _keys(s3)


def test_replacing_a_file_deletes_the_old_one_after_commit(s3, django_capture_on_commit_callbacks):
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP), content=CONTENT
    )
    old = recording.video_file.name

    with django_capture_on_commit_callbacks() as callbacks:
        recording.video_file = ContentFile(webm_bytes(2000), name="ny.webm")
        save_recording(recording=recording, changed_fields={"video_file"})
    queued = _queued(callbacks)
    deleted = delete_unreferenced_files(**queued[0][1])

    assert queued == [("conferences.delete_stored_files", {"names": [old]})]
    assert deleted == 1
    assert old not in _keys(s3)
    assert recording.video_file.name in _keys(s3)


def test_a_file_still_referenced_is_not_deleted(s3):
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP), content=CONTENT
    )

    deleted = delete_unreferenced_files(names=[recording.video_file.name])

    assert deleted == 0
    assert recording.video_file.name in _keys(s3)


@pytest.mark.django_db(transaction=True)
def test_failed_delete_is_retried_and_the_deletion_stands(s3, settings, s3_endpoint, celery_worker):
    document = make_document(conference=make_conference(status=ConferenceStatus.FOLLOW_UP))
    name = document.file.name
    settings.MEDIA_DELETE_RETRY_SECONDS = 1
    retries: list[str] = []

    def count_retry(sender=None, **kwargs):
        retries.append(sender.name)

    task_retry.connect(count_retry, weak=False)
    try:
        # The storage is unreachable (nothing listens there) when the task first runs.
        _use_storage(settings, _dead_endpoint())
        with transaction.atomic():
            Document.objects.filter(pk=document.pk).delete()
            delete_files_on_commit([name])
        deadline = time.monotonic() + 60
        while not retries and time.monotonic() < deadline:
            time.sleep(0.1)
        still_there = name in _keys(s3)
        _use_storage(settings, s3_endpoint)
        gone = _wait_until_gone(s3, [name])
    finally:
        task_retry.disconnect(count_retry)

    assert retries[:1] == ["conferences.delete_stored_files"]
    assert still_there
    assert not Document.objects.filter(pk=document.pk).exists()
    assert gone == []


def _use_storage(settings, endpoint: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(endpoint),
        },
    }


def _dead_endpoint() -> str:
    """An address on loopback where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_hashing_leaves_no_temporary_copy(s3, settings):
    staff = make_staff()
    upload = _direct_object(s3, staff, DEMO_WEBM.read_bytes())
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    recording = _attach_direct(upload, Recording(conference=conference, title="Direkte"))

    hashed = hash_stored_file(
        kind="recording", item_id=recording.pk, name=recording.video_file.name
    )

    assert hashed is True
    assert list(Path(settings.UPLOAD_TEMP_DIR).glob("*.probe")) == []


def test_caption_deleted_in_the_admin_form_is_deleted_from_storage_after_commit(
    s3, roles, django_capture_on_commit_callbacks
):
    staff = make_staff()
    client = Client(headers={"accept-language": "nb"})
    client.force_login(staff)
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP), content=CONTENT
    )
    caption = recording.captions.get()
    form = recording_form(
        recording.conference,
        title=recording.title,
        title_nb=recording.title,
        order=str(recording.order),
        **{
            "captions-TOTAL_FORMS": "1",
            "captions-INITIAL_FORMS": "1",
            "captions-0-id": str(caption.pk),
            "captions-0-recording": str(recording.pk),
            "captions-0-language": "nb",
            "captions-0-DELETE": "on",
        },
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:conferences_recording_change", args=[recording.pk]), form
        )
    queued = [q for q in _queued(callbacks) if q[0] == "conferences.delete_stored_files"]
    delete_unreferenced_files(**queued[0][1])

    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Caption.objects.exists()
    assert queued == [("conferences.delete_stored_files", {"names": [caption.file.name]})]
    assert caption.file.name not in _keys(s3)
    assert recording.video_file.name in _keys(s3)


@pytest.mark.parametrize("size", [4096, 3 * 1024 * 1024], ids=["in-memory", "temporary-file"])
def test_form_post_is_hashed_as_it_arrives_and_not_read_again(s3, roles, monkeypatch, size):
    staff = make_staff()
    client = Client(headers={"accept-language": "nb"})
    client.force_login(staff)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    content = webm_bytes(size)
    read_again: list[object] = []
    # A second pass over the file would go through this function: record it instead.
    monkeypatch.setattr(
        stored_files, "file_digest", lambda file: read_again.append(file) or ("", 0)
    )

    response = client.post(
        reverse("admin:conferences_recording_add"),
        recording_form(
            conference,
            title="Skjema",
            title_nb="Skjema",
            video_file=SimpleUploadedFile("skjema.webm", content, "video/webm"),
        ),
    )
    recording = Recording.objects.get()

    assert response.status_code == 302, response.content.decode()[:3000]
    assert read_again == []
    assert recording.sha256 == sha256(content)
    assert recording.size == size
    stored = s3.get_object(Bucket=BUCKET, Key=recording.video_file.name)
    assert stored["Body"].read() == content
    assert recording.storage_etag == stored["ETag"]


def test_validating_a_saved_item_again_does_not_fetch_its_stored_files(s3):
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP), content=CONTENT
    )
    document = make_document(conference=recording.conference)
    stored = Recording.objects.get(pk=recording.pk)
    caption = stored.captions.get()
    stored_document = Document.objects.get(pk=document.pk)

    stored.full_clean()
    caption.full_clean()
    stored_document.full_clean()

    # Opening a stored file on S3 downloads the whole object: none was opened.
    assert stored.video_file._file is None
    assert caption.file._file is None
    assert stored_document.file._file is None
