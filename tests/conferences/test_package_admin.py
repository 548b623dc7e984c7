"""Staff work on the information package in the admin: upload, publish (captions first)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conferences.choices import ConferenceStatus
from conferences.models import PackageChange, Recording
from tests.conferences.package_factories import (
    VTT,
    make_recording,
    recording_form,
    sha256,
    webm_bytes,
)
from tests.factories import make_conference, make_moderator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def conference():
    return make_conference(status=ConferenceStatus.FOLLOW_UP)


def _recording_form(conference, **overrides):
    """With a duration, Bokmål captions and one chapter."""
    return recording_form(
        conference,
        **{
            "duration": "1:02:03",
            "captions-TOTAL_FORMS": "1",
            "captions-0-language": "nb",
            "captions-0-file": SimpleUploadedFile("nb.vtt", VTT.encode(), "text/vtt"),
            "chapters-TOTAL_FORMS": "1",
            "chapters-0-start": "0:01:30",
            "chapters-0-title_nb": "Behovet",
            **overrides,
        },
    )


def test_admin_upload_records_hash_of_the_stored_file(staff_client, conference):
    content = webm_bytes(3_000_000)  # over FILE_UPLOAD_MAX_MEMORY_SIZE: a temporary file upload
    data = _recording_form(
        conference, video_file=SimpleUploadedFile("sending.webm", content, "video/webm")
    )

    response = staff_client.post(reverse("admin:conferences_recording_add"), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    recording = Recording.objects.get()
    with recording.video_file.open("rb") as handle:
        stored = handle.read()
    assert stored == content
    assert (recording.sha256, recording.size) == (sha256(content), len(content))
    assert recording.published_at is None
    assert list(recording.captions.values_list("language", flat=True)) == ["nb"]
    assert [(c.start_seconds, c.title) for c in recording.chapters.all()] == [(90, "Behovet")]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({}, "Upload a video file or enter an external video address"),
        (
            {"video_file": SimpleUploadedFile("x.webm", b"not a video at all", "video/webm")},
            "Upload an MP4 or WebM video file.",
        ),
        (
            {
                "video_file": SimpleUploadedFile("x.webm", webm_bytes(), "video/webm"),
                "captions-0-file": SimpleUploadedFile("nb.vtt", b"1\n00:00 --> 00:01\nHei\n"),
            },
            "the file must begin with “WEBVTT”",
        ),
    ],
)
def test_admin_upload_rejects_invalid_files(staff_client, conference, overrides, error):
    response = staff_client.post(
        reverse("admin:conferences_recording_add"), _recording_form(conference, **overrides)
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert Recording.objects.count() == 0


def test_admin_publish_without_captions_is_refused_with_message(staff_client, conference):
    recording = make_recording(conference=conference, captions=(), title="Uten tekst")
    url = reverse("admin:conferences_recording_publish", args=[recording.pk])

    page = staff_client.get(url)
    response = staff_client.post(url, {"caption_override_reason": ""})

    assert "This recording has no captions." in page.content.decode()
    assert response.status_code == 200
    assert "“Uten tekst” has no captions and was not published." in response.content.decode()
    assert Recording.objects.get(pk=recording.pk).published_at is None


def test_admin_publish_with_reason_publishes_and_records_it(staff_client, conference):
    recording = make_recording(conference=conference, captions=())
    url = reverse("admin:conferences_recording_publish", args=[recording.pk])

    response = staff_client.post(url, {"caption_override_reason": "Tekstes innen en uke."})

    assert response.status_code == 302
    recording.refresh_from_db()
    assert recording.caption_override_reason == "Tekstes innen en uke."
    assert recording.published_by.username == response.wsgi_request.user.username
    assert PackageChange.objects.get().note == "Tekstes innen en uke."


def test_admin_action_publishes_captioned_and_refuses_uncaptioned(staff_client, conference):
    captioned = make_recording(conference=conference)
    uncaptioned = make_recording(conference=conference, captions=(), title="Mangler tekst")

    response = staff_client.post(
        reverse("admin:conferences_recording_changelist"),
        {"action": "publish_selected", "_selected_action": [captioned.pk, uncaptioned.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "“Mangler tekst” has no captions and was not published." in html
    assert "Published: 1." in html
    assert set(Recording.objects.published().values_list("pk", flat=True)) == {captioned.pk}


def test_admin_published_recording_file_and_captions_are_read_only(staff_client, conference):
    recording = make_recording(conference=conference, published=True)

    page = staff_client.get(reverse("admin:conferences_recording_change", args=[recording.pk]))

    html = page.content.decode()
    assert 'name="video_file"' not in html
    assert 'name="captions-0-file"' not in html
    assert "Withdraw from the package…" in html


def test_admin_changelog_is_read_only(staff_client, conference):
    recording = make_recording(conference=conference)
    staff_client.post(
        reverse("admin:conferences_recording_publish", args=[recording.pk]),
        {"caption_override_reason": ""},
    )
    change = PackageChange.objects.get()

    page = staff_client.get(reverse("admin:conferences_packagechange_change", args=[change.pk]))
    add = staff_client.get(reverse("admin:conferences_packagechange_add"))

    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    assert add.status_code == 403


def test_moderator_cannot_publish(conference, roles):
    client = Client()
    client.force_login(make_moderator())
    recording = make_recording(conference=conference)

    response = client.post(reverse("admin:conferences_recording_publish", args=[recording.pk]))

    assert response.status_code == 403
    assert Recording.objects.get(pk=recording.pk).published_at is None
