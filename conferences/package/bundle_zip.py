"""Writing the information package file: a ZIP with, in one folder,

- ``summary-<lang>.pdf``: programme, recordings, documents, Q&A with answers, clarifications,
  meeting summaries, participants as published and the changelog, per offered language;
- ``questions-and-answers-<lang>.csv``: the Q&A (UTF-8 with a byte order mark, so Excel reads
  æøå; every cell quoted, formulas neutralised);
- ``recordings/NN-title/``: the video file, its caption tracks and its transcripts;
- ``documents/NN-title.pdf``: the presentation documents;
- ``manifest.json`` (each file's path, SHA-256, size and publication time) and
  ``SHA256SUMS.txt`` (``sha256sum -c SHA256SUMS.txt`` checks the extracted files).

Stored files are copied in 1 MB blocks from storage into the ZIP (from object storage too: the
object's body is streamed, never downloaded whole), hashing as they go; videos and PDFs are
stored uncompressed (they are compressed already), texts deflated. ZIP64 above 4 GB.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dialogkonferanse.common.spreadsheet import neutralise_cell
from dialogkonferanse.common.timefmt import oslo_iso

from ..exceptions import ConferenceError
from .bundle_content import BundleContent, StoredFile
from .report import html_to_pdf

BLOCK = 1024 * 1024
SUMMARY_TEMPLATE = "conferences/package_bundle/summary.html"
SUMMARY_STYLESHEETS = ("dialogkonferanse/report.css", "conferences/package_bundle.css")
_ZIP64_LIMIT = zipfile.ZIP64_LIMIT

#: ``progress(step, fraction)``: the build reports where it is (step code, 0.0 to 1.0).
Progress = Callable[[str, float], None]


def timecode_text(seconds: int) -> str:
    """``M:SS`` or ``H:MM:SS``, as video players show time."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def read_blocks(storage: Any, name: str, block: int = BLOCK) -> Iterator[bytes]:
    """The stored file in blocks. On S3-compatible storage the object's body is streamed:
    django-storages' ``S3File`` would first copy the whole object into memory."""
    client = getattr(getattr(storage, "connection", None), "meta", None)
    bucket = getattr(storage, "bucket_name", None)
    if client is not None and bucket:
        location = (getattr(storage, "location", "") or "").strip("/")
        key = f"{location}/{name}" if location else name
        body = client.client.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(block)
        finally:
            body.close()
        return
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(block):
            yield chunk


def _zip_time(
    value: dt.datetime | None, fallback: dt.datetime
) -> tuple[int, int, int, int, int, int]:
    # ZIP times have no zone and unpackers show them as local time: Oslo time (DOMAIN.md 14).
    moment = max(value or fallback, dt.datetime(1980, 1, 2, tzinfo=dt.UTC))
    return timezone.localtime(moment).timetuple()[:6]


def summary_pdf(content: BundleContent, language: str, generated: dt.datetime) -> bytes:
    """The PDF summary in ``language`` (WeasyPrint, as the dialogue report)."""
    with translation.override(language):
        html = render_to_string(
            SUMMARY_TEMPLATE,
            {
                "view": content.views[language],
                "generated_at": generated,
                "languages": content.languages,
                "folder": content.folder,
            },
        )
    return html_to_pdf(html, stylesheets=SUMMARY_STYLESHEETS)


def qa_csv(content: BundleContent, language: str) -> bytes:
    """The Q&A as CSV for spreadsheets: no asker, only what the package shows."""
    view = content.views[language]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    with translation.override(language):
        writer.writerow(
            [
                _("Number"),
                _("Question"),
                _("Topics"),
                _("Handling"),
                _("Answer"),
                _("Language of the answer"),
                _("Question published"),
                _("Answer published"),
                _("Answered live in"),
                _("At (time in the recording)"),
            ]
        )
        for q in view["questions"]:
            answer = q["answer"]
            writer.writerow(
                [
                    neutralise_cell(value)
                    for value in (
                        q["number"],
                        q["text"],
                        q["topics"],
                        q["handling"],
                        answer.text if answer else "",
                        answer.language if answer else "",
                        oslo_iso(q["published_at"], "seconds"),
                        oslo_iso(q["answer_published_at"], "seconds"),
                        q["live_recording"],
                        timecode_text(q["live_offset"]) if q["live_offset"] is not None else "",
                    )
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class _Writer:
    def __init__(self, archive: zipfile.ZipFile, folder: str, generated: dt.datetime) -> None:
        self.archive = archive
        self.folder = folder
        self.generated = generated
        self.entries: list[dict[str, Any]] = []

    def add_bytes(
        self,
        path: str,
        data: bytes,
        *,
        kind: str,
        title: str = "",
        published_at: dt.datetime | None = None,
        language: str = "",
        compress: bool = True,
    ) -> None:
        info = zipfile.ZipInfo(f"{self.folder}/{path}", _zip_time(published_at, self.generated))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self.archive.writestr(info, data)
        self._entry(
            path, hashlib.sha256(data).hexdigest(), len(data), kind, title, published_at, language
        )

    def add_stored(self, item: StoredFile, on_block: Callable[[int], None]) -> None:
        info = zipfile.ZipInfo(
            f"{self.folder}/{item.path}", _zip_time(item.published_at, self.generated)
        )
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        digest = hashlib.sha256()
        size = 0
        large = (item.size or 0) >= _ZIP64_LIMIT
        with self.archive.open(info, "w", force_zip64=large) as target:
            for block in read_blocks(item.storage, item.storage_name):
                target.write(block)
                digest.update(block)
                size += len(block)
                on_block(len(block))
        sha256 = digest.hexdigest()
        if item.sha256 and sha256 != item.sha256:
            raise ConferenceError(
                _(
                    "The stored file of “%(title)s” no longer matches the SHA-256 recorded when "
                    "it was published, so the package was not made. Withdraw it and upload it "
                    "again."
                )
                % {"title": item.title}
            )
        self._entry(item.path, sha256, size, item.kind, item.title, item.published_at, "")

    def _entry(
        self,
        path: str,
        sha256: str,
        size: int,
        kind: str,
        title: str,
        published_at: dt.datetime | None,
        language: str,
    ) -> None:
        self.entries.append(
            {
                "path": path,
                "sha256": sha256,
                "size": size,
                "kind": kind,
                "title": title,
                "language": language,
                "published_at": published_at.astimezone(dt.UTC).isoformat()
                if published_at
                else None,
            }
        )


def write_bundle(
    content: BundleContent,
    target: IO[bytes],
    *,
    generated: dt.datetime,
    progress: Progress,
) -> list[dict[str, Any]]:
    """Write the ZIP of ``content`` to ``target`` (a file open for writing); returns the
    manifest's file entries."""
    conference = content.conference
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        writer = _Writer(archive, content.folder, generated)
        for n, language in enumerate(content.languages):
            progress("summary", n / len(content.languages))
            writer.add_bytes(
                f"summary-{language}.pdf",
                summary_pdf(content, language, generated),
                kind="summary",
                title=content.views[language]["title"].text,
                language=language,
                compress=False,
            )
        progress("texts", 0.0)
        for language in content.languages:
            writer.add_bytes(
                f"questions-and-answers-{language}.csv",
                qa_csv(content, language),
                kind="questions_and_answers",
                language=language,
            )
        for transcript in content.transcripts:
            writer.add_bytes(
                transcript["path"],
                transcript["text"].encode("utf-8"),
                kind="transcript",
                title=transcript["title"],
                published_at=transcript["published_at"],
                language=transcript["language"],
            )
        total = sum(item.size or 0 for item in content.files) or 1
        copied = 0

        def on_block(length: int) -> None:
            nonlocal copied
            copied += length
            progress(step, min(copied / total, 1.0))

        for item in content.files:
            step = "recordings" if item.kind == "recording" else "documents"
            progress(step, min(copied / total, 1.0))
            writer.add_stored(item, on_block)

        manifest = {
            "conference": content.views[content.languages[0]]["title"].text,
            "slug": conference.slug,
            "buyer": content.views[content.languages[0]]["buyer"].text,
            "languages": content.languages,
            "generated_at": generated.astimezone(dt.UTC).isoformat(),
            "fingerprint": content.fingerprint,
            "hash_algorithm": "SHA-256",
            "files": writer.entries,
        }
        info = zipfile.ZipInfo(f"{content.folder}/manifest.json", _zip_time(generated, generated))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        sums = "".join(f"{e['sha256']}  {e['path']}\n" for e in writer.entries)
        info = zipfile.ZipInfo(f"{content.folder}/SHA256SUMS.txt", _zip_time(generated, generated))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, sums.encode("utf-8"))
    return writer.entries
