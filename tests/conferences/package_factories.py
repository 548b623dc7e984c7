"""Test data for the information package: recordings, captions, chapters, documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from conferences.models import Caption, Chapter, Clarification, Document, Recording
from conferences.package.publishing import save_document, save_recording

_seq = itertools.count(1)
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nVelkommen til dialogkonferansen.\n"


def webm_bytes(size: int = 4096) -> bytes:
    """Bytes that pass the WebM check (EBML header) followed by a recognisable pattern."""
    body = bytes(i % 251 for i in range(max(0, size - len(WEBM_MAGIC))))
    return WEBM_MAGIC + body


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_recording(
    *,
    conference,
    content: bytes | None = None,
    captions: tuple[str, ...] = ("nb",),
    chapters: tuple[tuple[int, str], ...] = (),
    published: bool = False,
    **overrides: Any,
) -> Recording:
    """An uploaded recording (through ``save_recording``, so it is hashed) unless
    ``external_url`` is given. ``published`` sets the publication fields directly."""
    n = next(_seq)
    values: dict[str, Any] = {"conference": conference, "title": f"Opptak {n}", "order": n}
    values.update(overrides)
    recording = Recording(**values)
    if not recording.external_url:
        recording.video_file = ContentFile(content or webm_bytes(), name=f"opptak-{n}.webm")
    save_recording(recording=recording, changed_fields={"video_file"})
    for language in captions:
        Caption.objects.create(
            recording=recording,
            language=language,
            file=ContentFile(VTT.encode(), name=f"{language}.vtt"),
        )
    Chapter.objects.bulk_create(
        Chapter(recording=recording, start=dt.timedelta(seconds=s), title=t) for s, t in chapters
    )
    if published:
        Recording.objects.filter(pk=recording.pk).update(published_at=timezone.now())
        recording.refresh_from_db()
    return recording


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_document(*, conference, published: bool = False, **overrides: Any) -> Document:
    n = next(_seq)
    values: dict[str, Any] = {"conference": conference, "title": f"Presentasjon {n}"}
    values.update(overrides)
    document = Document(**values)
    document.file = ContentFile(PDF, name=f"presentasjon-{n}.pdf")
    save_document(document=document, changed_fields={"file"})
    if published:
        Document.objects.filter(pk=document.pk).update(published_at=timezone.now())
        document.refresh_from_db()
    return document


def make_clarification(*, conference, published: bool = False, **overrides: Any):
    n = next(_seq)
    values: dict[str, Any] = {
        "conference": conference,
        "title": f"Presisering {n}",
        "text": "Kontrakten gjelder i fire år.",
        "published_at": timezone.now() if published else None,
    }
    values.update(overrides)
    return Clarification.objects.create(**values)


def recording_form(conference, **overrides: Any) -> dict[str, Any]:
    """The admin's recording form as posted: no video, captions or chapters unless the
    ``overrides`` add them (formset fields such as ``captions-0-language`` by ``**{...}``)."""
    return {
        "conference": conference.pk,
        "title_nb": "Hovedsending",
        "order": "1",
        "external_url": "",
        "provider": "",
        "duration": "",
        "recorded_started_at_0": "",
        "recorded_started_at_1": "",
        "transcript_nb": "",
        "captions-TOTAL_FORMS": "0",
        "captions-INITIAL_FORMS": "0",
        "chapters-TOTAL_FORMS": "0",
        "chapters-INITIAL_FORMS": "0",
        **overrides,
    }
