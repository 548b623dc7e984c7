"""The information package as one ZIP file for the tender: contents, hashes, no asker identity,
the cache and its invalidation, one build for concurrent requests, the public button, the admin
page with its progress, and the build by a real Celery worker."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import time
import zipfile

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.choices import BundleStatus, BundleStep, ConferenceStatus
from conferences.models import PackageBundle
from conferences.package.bundle import BUILD_TASK, build_bundle, request_bundle
from conferences.package.publishing import publish_clarification, unpublish_clarification
from dialogkonferanse.celery import app as celery_app
from meetings.models import Meeting, Minutes
from qa.models import Answer
from tests.concurrency import at_once
from tests.conferences.package_factories import (
    PDF,
    make_clarification,
    make_document,
    make_recording,
    webm_bytes,
)
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_question,
    make_registration,
    make_slot,
)

pytestmark = pytest.mark.django_db

ASKER = {
    "organisation_name": "Hemmelig Spørrer AS",
    "contact_name": "Kari Spørsmålsen",
    "email": "kari.sporsmalsen@asker.example",
    "organisation_number": "123456785",
}
ANSWERS = [
    "Kontrakten varer i fire år med opsjon på to.",
    "Budsjettet er rundt ti millioner kroner.",
]


def _text_of_pdf(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _fonts_embedded(data: bytes) -> tuple[int, list[str]]:
    """How many fonts the PDF uses, and those whose font file is not in it (a reader would need
    its own copy)."""
    seen, missing = 0, []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            font = font.get_object()
            fonts = [f.get_object() for f in font.get("/DescendantFonts", [])] or [font]
            for part in fonts:
                seen += 1
                descriptor = part.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.append(str(part.get("/BaseFont")))
    return seen, missing


def _bytes(bundle: PackageBundle) -> bytes:
    with bundle.file.open("rb") as handle:
        return handle.read()


def _zip(bundle: PackageBundle) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(_bytes(bundle)))


def _build_now(conference_id: int, django_capture_on_commit_callbacks) -> PackageBundle:
    """Request the file and run the build it queued here (the worker's code, in this test)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bundle = request_bundle(conference_id=conference_id)
    assert len(callbacks) == 1
    assert build_bundle(bundle_id=bundle.pk, fingerprint=bundle.fingerprint) == "built"
    bundle.refresh_from_db()
    return bundle


@pytest.fixture
def conference(media_root):
    """A conference in follow-up (the Q&A is public) with one of everything published, an
    asker who is not listed, and a listed participant who asked nothing."""
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP, agenda_items=2)
    asker = make_registration(conference=conference, **ASKER)
    make_registration(
        conference=conference, organisation_name="Synlig Deltaker AS", listed_publicly=True
    )
    for number, text in enumerate(ANSWERS):
        question = make_question(
            registration=asker,
            status="answered",
            text=f"Spørsmål {number} om kontrakten?",
            show_company=number == 0,  # chose to show the company on the page: not in the ZIP
        )
        Answer.objects.create(question=question, text=text, published_at=timezone.now())
    make_question(registration=asker, status="rejected", text="Reklame for oss selv")
    make_recording(
        conference=conference,
        content=webm_bytes(300_000),
        captions=("nb", "en"),
        chapters=((0, "Velkommen"), (90, "Spørsmål")),
        published=True,
        transcript="Velkommen til dialogkonferansen om sjøkart.",
    )
    make_document(conference=conference, published=True, title="Behovsbeskrivelse")
    make_document(conference=conference, title="Utkast som ikke er publisert")
    make_clarification(conference=conference, published=True, text="Opsjonen gjelder to år.")
    team = make_meeting_settings(conference=conference).teams.first()
    meeting = Meeting.objects.create(
        conference=conference,
        slot=make_slot(team=team, starts_at=timezone.now() - dt.timedelta(days=1)),
        registration=asker,
    )
    Minutes.objects.create(
        meeting=meeting,
        attendance="held",
        internal_notes="Prisnivå oppgitt i møtet.",
        public_summary="Tema: leveransemodell og opplæring.",
    )
    return conference


# --- Contents -----------------------------------------------------------------------------------


def test_bundle_manifest_hashes_match_the_files(conference, django_capture_on_commit_callbacks):
    bundle = _build_now(conference.pk, django_capture_on_commit_callbacks)
    archive = _zip(bundle)
    folder = f"{conference.slug}-information-package"

    manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    paths = {entry["path"] for entry in manifest["files"]}
    listed = {f"{folder}/{path}" for path in paths} | {
        f"{folder}/manifest.json",
        f"{folder}/SHA256SUMS.txt",
    }

    assert set(archive.namelist()) == listed
    for entry in manifest["files"]:
        data = archive.read(f"{folder}/{entry['path']}")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]
    sums = archive.read(f"{folder}/SHA256SUMS.txt").decode()
    assert sums.splitlines() == [f"{e['sha256']}  {e['path']}" for e in manifest["files"]]
    recording = conference.recordings.get()
    document = conference.documents.get(published_at__isnull=False)
    by_kind = {}
    for entry in manifest["files"]:
        by_kind.setdefault(entry["kind"], []).append(entry)
    assert [e["sha256"] for e in by_kind["recording"]] == [recording.sha256]
    assert [e["sha256"] for e in by_kind["document"]] == [document.sha256]
    assert (
        by_kind["document"][0]["published_at"]
        == document.published_at.astimezone(dt.UTC).isoformat()
    )
    assert sorted(e["path"].rsplit("/", 1)[1] for e in by_kind["caption"]) == [
        "captions-en.vtt",
        "captions-nb.vtt",
    ]
    assert archive.read(f"{folder}/{by_kind['document'][0]['path']}") == PDF
    document_info = archive.getinfo(f"{folder}/{by_kind['document'][0]['path']}")
    oslo = timezone.localtime(document.published_at)
    assert document_info.date_time[:5] == oslo.timetuple()[:5]  # unpackers show Oslo time
    assert [e["path"] for e in by_kind["summary"]] == ["summary-nb.pdf"]
    assert [e["path"].rsplit("/", 1)[1] for e in by_kind["transcript"]] == ["transcript-nb.txt"]
    assert bundle.sha256 == hashlib.sha256(_bytes(bundle)).hexdigest()
    assert manifest["fingerprint"] == bundle.fingerprint


def test_bundle_pdf_contains_every_published_answer(conference, django_capture_on_commit_callbacks):
    bundle = _build_now(conference.pk, django_capture_on_commit_callbacks)
    archive = _zip(bundle)
    folder = f"{conference.slug}-information-package"

    pdf = archive.read(f"{folder}/summary-nb.pdf")
    text = _text_of_pdf(pdf)

    for answer in ANSWERS:
        assert answer in text
    assert "Spørsmål 0 om kontrakten?" in text
    assert "Opsjonen gjelder to år." in text  # the clarification
    assert "Tema: leveransemodell og opplæring." in text  # the meeting summary, as published
    assert "Punkt 1" in text  # the programme
    assert "Punkt 2" in text
    assert "Behovsbeskrivelse" in text
    assert "Synlig Deltaker AS" in text  # the participant list as published
    assert "Utkast som ikke er publisert" not in text
    assert "Reklame for oss selv" not in text  # not published
    assert "Prisnivå oppgitt i møtet." not in text  # internal minutes
    used, not_embedded = _fonts_embedded(pdf)
    assert used > 0
    assert not_embedded == []  # opens offline, on any machine
    assert b"http://" not in pdf
    assert b"https://" not in pdf


def test_bundle_holds_no_asker_identity(conference, django_capture_on_commit_callbacks):
    bundle = _build_now(conference.pk, django_capture_on_commit_callbacks)
    archive = _zip(bundle)

    texts = []
    for name in archive.namelist():
        data = archive.read(name)
        # The summaries' text is in compressed streams: read it as a PDF reader does.
        texts.append(_text_of_pdf(data) if "/summary-" in name else "")
        texts.append(data.decode("utf-8", errors="ignore"))
    everything = "\n".join(texts)

    for value in ASKER.values():
        assert value not in everything
    assert "Synlig Deltaker AS" in everything  # the check does see the participant list


def test_bundle_csv_opens_in_spreadsheets_with_every_public_answer(
    conference, django_capture_on_commit_callbacks
):
    bundle = _build_now(conference.pk, django_capture_on_commit_callbacks)
    data = _zip(bundle).read(f"{conference.slug}-information-package/questions-and-answers-nb.csv")

    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel reads æøå
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Nummer", "Spørsmål", "Temaer", "Behandling", "Svar"]
    assert sorted(row[4] for row in rows[1:]) == sorted(ANSWERS)
    assert data.count(b"\r\n") == len(rows)  # one record per line, as Excel expects


def test_bundle_has_a_pdf_per_offered_language_with_bokmal_fallback_marked(
    conference, django_capture_on_commit_callbacks
):
    conference.offers_nn = True
    conference.save()
    answer = Answer.objects.get(text=ANSWERS[0])
    answer.text_nn = "Kontrakten varar i fire år med opsjon på to."
    answer.save()

    bundle = _build_now(conference.pk, django_capture_on_commit_callbacks)
    archive = _zip(bundle)
    folder = f"{conference.slug}-information-package"
    nynorsk = _text_of_pdf(archive.read(f"{folder}/summary-nn.pdf"))

    assert f"{folder}/summary-en.pdf" not in archive.namelist()  # English is not offered
    assert "Kontrakten varar i fire år med opsjon på to." in nynorsk
    assert ANSWERS[1] in nynorsk  # no Nynorsk answer: the Bokmål one …
    assert "Ikkje tilgjengeleg på nynorsk" in nynorsk  # … marked as such
    assert "Spørsmål og svar" in nynorsk or "Spørsmål og svar".lower() in nynorsk.lower()


# --- The cache ------------------------------------------------------------------------------------


def test_bundle_is_reused_until_something_is_published_or_withdrawn(
    conference, staff, django_capture_on_commit_callbacks
):
    first = _build_now(conference.pk, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = request_bundle(conference_id=conference.pk)
    assert callbacks == []  # nothing queued: the file is current
    assert (again.status, again.file.name) == (BundleStatus.READY, first.file.name)

    clarification = make_clarification(conference=conference, title="Ny presisering")
    with django_capture_on_commit_callbacks(execute=True):
        publish_clarification(clarification_id=clarification.pk, actor=staff)
    second = _build_now(conference.pk, django_capture_on_commit_callbacks)
    assert second.fingerprint != first.fingerprint
    assert second.file.name != first.file.name
    assert "Ny presisering" in _text_of_pdf(
        _zip(second).read(f"{conference.slug}-information-package/summary-nb.pdf")
    )

    with django_capture_on_commit_callbacks(execute=True):
        unpublish_clarification(clarification_id=clarification.pk, actor=staff, reason="Feil")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stale = request_bundle(conference_id=conference.pk)
    assert len(callbacks) == 1  # the withdrawal queued a new build
    assert stale.status == BundleStatus.QUEUED
    assert stale.fingerprint not in (first.fingerprint, second.fingerprint)


def test_a_build_overtaken_by_a_publication_does_not_become_ready(
    conference, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        bundle = request_bundle(conference_id=conference.pk)
    clarification = make_clarification(conference=conference)
    publish_clarification(clarification_id=clarification.pk, actor=staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        newer = request_bundle(conference_id=conference.pk)
    assert len(callbacks) == 1

    assert build_bundle(bundle_id=bundle.pk, fingerprint=bundle.fingerprint) == "skipped"
    assert build_bundle(bundle_id=newer.pk, fingerprint=newer.fingerprint) == "built"
    assert build_bundle(bundle_id=newer.pk, fingerprint=newer.fingerprint) == "skipped"


# --- Concurrency: two requests, one build -------------------------------------------------------


def _queued_messages(queue: str) -> int:
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(queue)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_queue_one_build(media_root, roles, purge_celery_queue):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    make_clarification(conference=conference, published=True)
    purge_celery_queue()

    def request() -> int:
        return request_bundle(conference_id=conference.pk).pk

    outcomes = at_once(request, request)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    results = [o for o in outcomes if not isinstance(o, Exception)]

    assert errors == []
    assert len(set(results)) == 1
    assert PackageBundle.objects.filter(conference=conference).count() == 1
    assert _queued_messages(celery_app.conf.task_default_queue) == 1
    purge_celery_queue()


# --- The public button and the real worker ------------------------------------------------------


def _wait_until_ready(client, url: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = client.get(url).json()
        if data["ready"] or data["status"] == "failed":
            return data
        time.sleep(0.2)
    raise AssertionError("the file was not prepared within 60 s")


@pytest.mark.django_db(transaction=True)
def test_public_button_prepares_then_serves_the_zip_built_by_the_worker(
    media_root, roles, celery_worker, client
):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    make_clarification(conference=conference, published=True, text="Gjelder hele landet.")
    package_url = reverse("conferences:package", args=[conference.slug])
    download_url = reverse("conferences:package_download", args=[conference.slug])
    status_url = reverse("conferences:package_download_status", args=[conference.slug])

    page = client.get(package_url, HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="{download_url}"' in page.content.decode()

    preparing = client.get(download_url, HTTP_ACCEPT_LANGUAGE="en")
    body = preparing.content.decode()
    assert preparing.status_code == 200
    assert "The file is being prepared" in body
    assert f'data-bundle-status-url="{status_url}"' in body
    assert preparing["Cache-Control"] == "no-store"

    assert _wait_until_ready(client, status_url)["ready"] is True
    response = client.get(download_url)
    data = b"".join(response.streaming_content)

    assert response["Content-Type"] == "application/zip"
    assert (
        'filename="' + f"{conference.slug}-information-package.zip"
        in response["Content-Disposition"]
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    folder = f"{conference.slug}-information-package"
    assert "Gjelder hele landet." in _text_of_pdf(archive.read(f"{folder}/summary-nb.pdf"))
    assert PackageBundle.objects.get(conference=conference).status == BundleStatus.READY


@pytest.mark.parametrize("status", [ConferenceStatus.DRAFT])
def test_public_button_is_not_there_for_anonymous_users_of_a_draft(client, media_root, status):
    conference = make_conference(status=status)

    download = client.get(reverse("conferences:package_download", args=[conference.slug]))
    status_json = client.get(reverse("conferences:package_download_status", args=[conference.slug]))

    assert (download.status_code, status_json.status_code) == (404, 404)
    assert not PackageBundle.objects.filter(conference=conference).exists()


@pytest.mark.parametrize(
    ("language", "label", "step"),
    [
        ("en", "Being prepared", "Adding the video files"),
        ("nb", "Blir klargjort", "Legger til videofilene"),
        ("nn", "Vert klargjord", "Legg til videofilene"),
    ],
)
def test_status_is_shown_in_the_readers_language(
    client, conference, language, label, step, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        bundle = request_bundle(conference_id=conference.pk)
    PackageBundle.objects.filter(pk=bundle.pk).update(
        status=BundleStatus.BUILDING,
        step=BundleStep.RECORDINGS,
        progress=40,
        started_at=timezone.now(),
    )

    data = client.get(
        reverse("conferences:package_download_status", args=[conference.slug]),
        HTTP_ACCEPT_LANGUAGE=language,
    ).json()

    assert data == {
        "status": "building",
        "label": label,
        "step": step,
        "progress": 40,
        "ready": False,
    }


# --- The admin ------------------------------------------------------------------------------------


def test_admin_button_prepares_shows_progress_and_downloads(
    staff_client, conference, django_capture_on_commit_callbacks
):
    change = staff_client.get(reverse("admin:conferences_conference_change", args=[conference.pk]))
    page_url = reverse("admin:conferences_conference_package_file", args=[conference.pk])
    status_url = reverse("admin:conferences_conference_package_file_status", args=[conference.pk])
    assert f'href="{page_url}"' in change.content.decode()

    assert "Not prepared yet" in staff_client.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        posted = staff_client.post(page_url)
    assert posted.status_code == 302
    assert len(callbacks) == 1
    bundle = PackageBundle.objects.get(conference=conference)
    PackageBundle.objects.filter(pk=bundle.pk).update(
        status=BundleStatus.BUILDING, step=BundleStep.SUMMARY, progress=12
    )

    building = staff_client.get(page_url).content.decode()
    assert f'data-bundle-status-url="{status_url}"' in building
    assert 'value="12"' in building
    assert "Writing the PDF summary" in building
    assert staff_client.get(status_url).json()["progress"] == 12

    PackageBundle.objects.filter(pk=bundle.pk).update(
        status=BundleStatus.QUEUED, step=BundleStep.WAITING, progress=0
    )
    assert build_bundle(bundle_id=bundle.pk, fingerprint=bundle.fingerprint) == "built"
    ready = staff_client.get(page_url).content.decode()
    download_url = reverse(
        "admin:conferences_conference_package_file_download", args=[conference.pk]
    )
    assert f'href="{download_url}"' in ready
    assert staff_client.get(status_url).json() == {
        "status": "ready",
        "label": "Ready",
        "step": "",
        "progress": 100,
        "ready": True,
    }
    response = staff_client.get(download_url)
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).testzip() is None


def test_admin_package_file_needs_staff(client, conference):
    url = reverse("admin:conferences_conference_package_file", args=[conference.pk])

    response = client.post(url)

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not PackageBundle.objects.filter(conference=conference).exists()


def test_build_task_is_registered_under_its_name():
    assert celery_app.tasks[BUILD_TASK].name == BUILD_TASK


# --- On S3-compatible object storage ----------------------------------------------------------

S3_BUCKET = "dialogkonferanse-package-file-test"


@pytest.fixture
def s3_media(settings, s3_endpoint, tmp_path):
    """Media on the local S3 API (moto_server), in a bucket of this test module's own."""
    from tests.conferences.conftest import s3_bucket

    client = s3_bucket(s3_endpoint, S3_BUCKET)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=S3_BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=S3_BUCKET, Key=item["Key"])


def test_bundle_on_object_storage_is_stored_there_and_served_by_its_signed_address(
    s3_media, client, tmp_path, settings, django_capture_on_commit_callbacks
):
    import httpx

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    video = webm_bytes(2_000_000)
    make_recording(conference=conference, content=video, published=True)
    make_document(conference=conference, published=True)

    bundle = _build_now(conference.pk, django_capture_on_commit_callbacks)
    keys = [
        item["Key"]
        for item in s3_media.list_objects_v2(Bucket=S3_BUCKET, Prefix="packages/")["Contents"]
    ]
    response = client.get(reverse("conferences:package_download", args=[conference.slug]))
    data = httpx.get(response["Location"], timeout=30).content

    assert keys == [bundle.file.name]
    assert keys[0].endswith(f"/{conference.slug}-information-package.zip")
    assert response.status_code == 302
    assert hashlib.sha256(data).hexdigest() == bundle.sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    folder = f"{conference.slug}-information-package"
    manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    for entry in manifest["files"]:
        assert (
            hashlib.sha256(archive.read(f"{folder}/{entry['path']}")).hexdigest()
            == (entry["sha256"])
        )
    (video_entry,) = [e for e in manifest["files"] if e["kind"] == "recording"]
    assert archive.read(f"{folder}/{video_entry['path']}") == video


def test_bundle_streams_a_large_video_without_holding_it_in_memory(
    media_root, settings, tmp_path, django_capture_on_commit_callbacks
):
    import tracemalloc

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    size = 48 * 1024 * 1024
    recording = make_recording(conference=conference, content=webm_bytes(size), published=True)
    # The PDF engine keeps ~20 MB of fonts and caches once it has run: warm it up first, so
    # what is measured is the build itself.
    _build_now(
        make_conference(status=ConferenceStatus.FOLLOW_UP).pk, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=False):
        bundle = request_bundle(conference_id=conference.pk)

    tracemalloc.start()
    try:
        outcome = build_bundle(bundle_id=bundle.pk, fingerprint=bundle.fingerprint)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    bundle.refresh_from_db()
    assert outcome == "built"
    assert bundle.size > size
    assert peak < size // 4  # blocks of 1 MB, never the 48 MB file
    with bundle.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("/video.webm")]
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while block := member.read(1024 * 1024):
                digest.update(block)
    assert digest.hexdigest() == recording.sha256


# --- Failures, lost builds, queries ---------------------------------------------------------------


def test_a_file_changed_in_storage_fails_the_build_with_a_reason_for_staff(
    conference, client, staff_client, django_capture_on_commit_callbacks
):
    document = conference.documents.get(published_at__isnull=False)
    with document.file.storage.open(document.file.name, "wb") as handle:
        handle.write(PDF + b"% changed\n")
    with django_capture_on_commit_callbacks(execute=False):
        bundle = request_bundle(conference_id=conference.pk)

    outcome = build_bundle(bundle_id=bundle.pk, fingerprint=bundle.fingerprint)

    bundle.refresh_from_db()
    assert (outcome, bundle.status) == ("failed", BundleStatus.FAILED)
    assert "no longer matches the SHA-256" in bundle.error
    public = client.get(
        reverse("conferences:package_download", args=[conference.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "The file could not be prepared." in public.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.get(reverse("conferences:package_download_status", args=[conference.slug]))
    assert callbacks == []  # visitors do not start a failing build over and over
    page_url = reverse("admin:conferences_conference_package_file", args=[conference.pk])
    assert "no longer matches the SHA-256" in staff_client.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        staff_client.post(page_url)
    assert len(callbacks) == 1  # staff try again
    assert PackageBundle.objects.get(pk=bundle.pk).status == BundleStatus.QUEUED


def test_a_build_lost_with_its_worker_is_queued_again(
    conference, settings, django_capture_on_commit_callbacks
):
    settings.PACKAGE_BUNDLE_STALLED_MINUTES = 60
    with django_capture_on_commit_callbacks(execute=False):
        bundle = request_bundle(conference_id=conference.pk)
    PackageBundle.objects.filter(pk=bundle.pk).update(
        status=BundleStatus.BUILDING,
        started_at=timezone.now() - dt.timedelta(hours=3),
        updated_at=timezone.now() - dt.timedelta(minutes=30),  # its last progress
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request_bundle(conference_id=conference.pk)
    assert callbacks == []  # a long build that still makes progress is left alone

    PackageBundle.objects.filter(pk=bundle.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=61)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = request_bundle(conference_id=conference.pk)

    assert len(callbacks) == 1
    assert again.status == BundleStatus.QUEUED


@pytest.mark.parametrize("questions", [1, 25])
def test_status_answers_with_the_same_queries_for_few_and_many_questions(
    client, media_root, questions, django_assert_num_queries, django_capture_on_commit_callbacks
):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP, agenda_items=3)
    asker = make_registration(conference=conference)
    for _ in range(questions):
        answer_to = make_question(registration=asker, status="answered")
        Answer.objects.create(question=answer_to, text="Svar.", published_at=timezone.now())
    make_recording(conference=conference, published=True, chapters=((0, "Start"),))
    make_document(conference=conference, published=True)
    url = reverse("conferences:package_download_status", args=[conference.slug])
    with django_capture_on_commit_callbacks(execute=False):
        client.get(url)  # creates the row

    with django_assert_num_queries(16):
        client.get(url)
