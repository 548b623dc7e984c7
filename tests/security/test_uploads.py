"""Upload type and size limits of the information package (recordings, captions, documents):
judged by the bytes, not the name, and bounded in size."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conferences.models import package

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 64
VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nHei på deg\n".encode()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64
HTML = b"<!doctype html><script>alert(1)</script>"

FIELDS = {
    "video": (package.Recording, "video_file"),
    "caption": (package.Caption, "file"),
    "document": (package.Document, "file"),
}


def _validate(kind: str, name: str, content: bytes) -> None:
    model, field_name = FIELDS[kind]
    model._meta.get_field(field_name).run_validators(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("kind", "name", "content"),
    [
        ("video", "opptak.mp4", MP4),
        ("video", "opptak.webm", WEBM),
        ("caption", "nb.vtt", VTT),
        ("caption", "nb.vtt", b"\xef\xbb\xbf" + VTT),
        ("document", "vedlegg.pdf", PDF),
    ],
)
def test_upload_accepts_the_real_type(kind, name, content):
    _validate(kind, name, content)


@pytest.mark.parametrize(
    ("kind", "name", "content"),
    [
        ("video", "opptak.mp4", HTML),  # right name, wrong bytes
        ("video", "opptak.html", MP4),  # right bytes, wrong name
        ("video", "opptak.svg", b"<svg onload=alert(1)>"),
        ("caption", "nb.vtt", HTML),
        ("caption", "nb.vtt", b"WEBVTTX\n"),
        ("caption", "nb.vtt", b"WEBVTT\n\n\xff\xfe not utf-8"),
        ("caption", "nb.html", VTT),
        ("document", "vedlegg.pdf", HTML),
        ("document", "vedlegg.html", PDF),
        ("document", "vedlegg.pdf.html", PDF),
    ],
)
def test_upload_refuses_another_type(kind, name, content):
    with pytest.raises(ValidationError):
        _validate(kind, name, content)


@pytest.mark.parametrize(
    ("kind", "setting", "name", "content"),
    [
        ("caption", "CAPTION_MAX_UPLOAD_BYTES", "nb.vtt", VTT),
        ("document", "DOCUMENT_MAX_UPLOAD_BYTES", "vedlegg.pdf", PDF),
    ],
)
def test_upload_refuses_a_file_over_the_limit(kind, setting, name, content, settings):
    setattr(settings, setting, len(content) - 1)

    with pytest.raises(ValidationError, match="too large"):
        _validate(kind, name, content)
    setattr(settings, setting, len(content))
    _validate(kind, name, content)


def test_upload_video_over_a_limit_is_refused(settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 64 * 1024
    with pytest.raises(ValidationError, match="too large"):
        _validate("video", "opptak.mp4", MP4 + b"\x00" * settings.VIDEO_MAX_UPLOAD_BYTES)


def test_upload_video_at_the_limit_is_accepted(settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 64 * 1024
    limit = settings.VIDEO_MAX_UPLOAD_BYTES
    _validate("video", "opptak.mp4", MP4 + b"\x00" * (limit - len(MP4)))
