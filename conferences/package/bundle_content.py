"""What the information package file (the ZIP for the tender) contains, read once, and its
fingerprint.

One ZIP per conference, with a PDF summary and a Q&A spreadsheet for each language the
conference offers (Bokmål always; Nynorsk and English when offered), each text in that language
or in Bokmål marked as such; the recordings, captions and documents once. The buyer attaches
one file to the tender that every supplier reads alike, and large files are stored once.

``gather_content`` turns the published record into plain values (texts, times, file
references), and the fingerprint is the SHA-256 of exactly those values: the file is current
as long as the fingerprint of what is published now equals the one it was built from. Asker
identities never enter these values (DOMAIN.md rule 3): a question is its number, its
wording, its handling and its answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model
from django.utils import translation
from django.utils.text import slugify

from dialogkonferanse.common.translations import (
    CONTENT_LANGUAGES,
    DEFAULT_LANGUAGE,
    Resolved,
    resolve,
    text_in,
    translated_fields,
)

from ..models import Conference, Recording
from .selectors import InformationPackage, information_package

#: Changing what the file holds or how it is laid out: bump, so every cached file is rebuilt.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class StoredFile:
    """A file from storage copied into the ZIP as it is (never read whole into memory)."""

    path: str  # inside the ZIP's folder
    storage_name: str
    storage: Any = field(compare=False, repr=False)
    kind: str  # recording, caption, document
    title: str
    published_at: dt.datetime | None
    sha256: str = ""  # as recorded at publication ("" for caption tracks: none is recorded)
    size: int | None = None


@dataclass
class BundleContent:
    conference: Conference
    languages: list[str]
    views: dict[str, dict[str, Any]]  # per language: what its PDF and spreadsheet show
    files: list[StoredFile]
    transcripts: list[dict[str, Any]]  # {path, language, text, published_at, title}
    fingerprint: str = ""

    @property
    def folder(self) -> str:
        return f"{self.conference.slug}-information-package"


def _text(obj: Model, name: str, language: str) -> Resolved:
    """The text of a field for a reader of ``language``: translated fields with the Bokmål
    fallback marked; other fields (a supplier's question, as asked) as they are."""
    if name in translated_fields(obj):
        return resolve(obj, name, language)
    value = getattr(obj, name, "")
    return Resolved("" if value is None else str(value), "", fallback=False)


def _bokmal(obj: Model, name: str) -> str:
    if name in translated_fields(obj):
        return text_in(obj, name, DEFAULT_LANGUAGE)
    return str(getattr(obj, name, "") or "")


def _name(number: int, title: str, fallback: str) -> str:
    return f"{number:02d}-{slugify(title, allow_unicode=True)[:60] or fallback}"


def _paths(package: InformationPackage) -> tuple[dict[int, str], dict[int, str]]:
    """Folders of the recordings and paths of the documents in the ZIP, named in Bokmål (the
    files are the same in every language)."""
    recordings = {
        r.pk: f"recordings/{_name(n, _bokmal(r, 'title'), 'recording')}"
        for n, r in enumerate(package.recordings, start=1)
    }
    documents = {
        d.pk: f"documents/{_name(n, _bokmal(d, 'title'), 'document')}.pdf"
        for n, d in enumerate(package.documents, start=1)
    }
    return recordings, documents


def _transcript_languages(recording: Recording, languages: list[str]) -> list[str]:
    if "transcript" in translated_fields(recording):
        return [lang for lang in languages if text_in(recording, "transcript", lang).strip()]
    return [DEFAULT_LANGUAGE] if recording.transcript.strip() else []


def _language_view(
    conference: Conference,
    agenda: list[Any],
    package: InformationPackage,
    language: str,
    recording_paths: dict[int, str],
    document_paths: dict[int, str],
    languages: list[str],
) -> dict[str, Any]:
    """Everything one language's PDF and spreadsheet show, as plain values (no asker)."""
    recordings = []
    for recording in package.recordings:
        folder = recording_paths[recording.pk]
        ext = (
            posixpath.splitext(recording.video_file.name)[1].lower() if recording.video_file else ""
        )
        recordings.append(
            {
                "pk": recording.pk,
                "title": _text(recording, "title", language),
                "published_at": recording.published_at,
                "duration": recording.duration_seconds,
                "sha256": recording.sha256,
                "size": recording.size,
                "video_path": f"{folder}/video{ext}" if recording.video_file else "",
                "external_url": recording.external_url,
                "captions": [
                    {
                        "language": c.language,
                        "label": str(c.get_language_display()),
                        "path": f"{folder}/captions-{c.language}.vtt",
                    }
                    for c in recording.captions.all()
                ],
                "caption_override_reason": recording.caption_override_reason,
                "chapters": [
                    {"start": c.start_seconds, "title": _text(c, "title", language)}
                    for c in recording.chapters.all()
                ],
                "transcripts": [
                    f"{folder}/transcript-{lang}.txt"
                    for lang in _transcript_languages(recording, languages)
                ],
            }
        )
    questions = []
    for item in package.questions:
        q = item.question
        answer = getattr(q, "answer", None)
        questions.append(
            {
                "number": q.pk,
                "text": q.text,
                "topics": q.topics,
                "handling": str(q.handling.label),
                "published_at": q.published_at,
                "answered_live": q.answered_live,
                "answered_at": q.answered_at,
                "answer": _text(answer, "text", language) if answer is not None else None,
                "answer_published_at": answer.published_at if answer is not None else None,
                "live_recording": _text(item.recording, "title", language).text
                if item.recording is not None
                else "",
                "live_offset": item.offset,
            }
        )
    return {
        "language": language,
        "title": _text(conference, "title", language),
        "summary": _text(conference, "summary", language),
        "description": _text(conference, "description", language),
        "dialogue_rules": _text(conference, "dialogue_rules", language),
        "buyer": _text(conference.buyer, "name", language),
        "status": str(conference.get_status_display()),
        "starts_at": conference.starts_at,
        "ends_at": conference.ends_at,
        "programme": [
            {
                "starts_at": a.starts_at,
                "ends_at": a.ends_at,
                "title": _text(a, "title", language),
                "speaker": _text(a, "speaker", language),
                "description": _text(a, "description", language),
                "is_break": a.is_break,
            }
            for a in agenda
        ],
        "recordings": recordings,
        "documents": [
            {
                "title": _text(d, "title", language),
                "published_at": d.published_at,
                "sha256": d.sha256,
                "size": d.size,
                "path": document_paths[d.pk],
            }
            for d in package.documents
        ],
        "qa_public": package.qa_public,
        "questions": questions,
        "clarifications": [
            {
                "title": _text(c, "title", language),
                "text": _text(c, "text", language),
                "published_at": c.published_at,
            }
            for c in package.clarifications
        ],
        "summaries": [{"text": s.text, "meeting_date": s.meeting_date} for s in package.summaries],
        "participants": [
            {
                "organisation_name": p.organisation_name,
                "country": p.country_label,
                "open_to_partnering": p.open_to_partnering,
            }
            for p in package.participants
        ],
        "changelog": [dataclasses.asdict(entry) for entry in package.changelog],
    }


def _stored_files(
    package: InformationPackage, recording_paths: dict[int, str], document_paths: dict[int, str]
) -> list[StoredFile]:
    files: list[StoredFile] = []
    for recording in package.recordings:
        folder = recording_paths[recording.pk]
        title = _bokmal(recording, "title")
        for caption in recording.captions.all():
            files.append(
                StoredFile(
                    path=f"{folder}/captions-{caption.language}.vtt",
                    storage_name=caption.file.name,
                    storage=caption.file.storage,
                    kind="caption",
                    title=title,
                    published_at=recording.published_at,
                )
            )
    for document in package.documents:
        files.append(
            StoredFile(
                path=document_paths[document.pk],
                storage_name=document.file.name,
                storage=document.file.storage,
                kind="document",
                title=_bokmal(document, "title"),
                published_at=document.published_at,
                sha256=document.sha256,
                size=document.size,
            )
        )
    # The videos last: the small files are in the ZIP before the long copies start.
    for recording in package.recordings:
        if recording.video_file:
            ext = posixpath.splitext(recording.video_file.name)[1].lower()
            files.append(
                StoredFile(
                    path=f"{recording_paths[recording.pk]}/video{ext}",
                    storage_name=recording.video_file.name,
                    storage=recording.video_file.storage,
                    kind="recording",
                    title=_bokmal(recording, "title"),
                    published_at=recording.published_at,
                    sha256=recording.sha256,
                    size=recording.size,
                )
            )
    return files


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _canonical(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def fingerprint_of(content: BundleContent) -> str:
    """SHA-256 of everything the ZIP holds: texts, times, and each stored file's name and
    recorded hash (a published file cannot change in place; a new one has a new name)."""
    payload = {
        "format": FORMAT_VERSION,
        "conference": content.conference.pk,
        "slug": content.conference.slug,
        "languages": content.languages,
        "views": content.views,
        "files": [
            # Not dataclasses.asdict: it would deep-copy the storage (and its S3 client).
            {
                name: getattr(f, name)
                for name in (
                    "path",
                    "storage_name",
                    "kind",
                    "title",
                    "published_at",
                    "sha256",
                    "size",
                )
            }
            for f in content.files
        ],
        "transcripts": content.transcripts,
    }
    data = json.dumps(_canonical(payload), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def gather_content(*, conference_id: int) -> BundleContent:
    """The published record of a conference as the ZIP will hold it, with its fingerprint.

    A fixed number of queries per offered language, however much is published.
    """
    conference = Conference.objects.select_related("buyer").get(pk=conference_id)
    offered = set(getattr(conference, "languages_offered", (DEFAULT_LANGUAGE,)))
    languages = [lang for lang in CONTENT_LANGUAGES if lang in offered] or [DEFAULT_LANGUAGE]
    agenda = list(conference.agenda_items.order_by("starts_at", "pk"))
    views: dict[str, dict[str, Any]] = {}
    package: InformationPackage | None = None
    recording_paths: dict[int, str] = {}
    document_paths: dict[int, str] = {}
    for language in languages:
        # Labels (handling, changelog actions, countries) and the selectors' texts in this
        # language; the package's items are the same in every language.
        with translation.override(language):
            package = information_package(conference=conference)
            if not recording_paths and not document_paths:
                recording_paths, document_paths = _paths(package)
            views[language] = _language_view(
                conference, agenda, package, language, recording_paths, document_paths, languages
            )
    assert package is not None  # noqa: S101 - at least Bokmål
    transcripts = []
    for recording in package.recordings:
        for language in _transcript_languages(recording, languages):
            text = (
                text_in(recording, "transcript", language)
                if "transcript" in translated_fields(recording)
                else recording.transcript
            )
            transcripts.append(
                {
                    "path": f"{recording_paths[recording.pk]}/transcript-{language}.txt",
                    "language": language,
                    "title": _bokmal(recording, "title"),
                    "text": text,
                    "published_at": recording.published_at,
                }
            )
    content = BundleContent(
        conference=conference,
        languages=languages,
        views=views,
        files=_stored_files(package, recording_paths, document_paths),
        transcripts=transcripts,
    )
    content.fingerprint = fingerprint_of(content)
    return content
