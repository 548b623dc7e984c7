"""Transcripts cut into timed passages (``TranscriptSegment``), so a search hit links to its
moment in the video. Written by ``publishing.publish_recording`` (a published recording is
read-only, so its passages stay right until it is withdrawn and published again).

Each line of the transcript in a language takes its second from a leading timecode
(``[0:12:30]``, ``(12:30)``, ``12:30 -``), else from the caption cue in that language with the
same words, else from the line before. A language with captions and no transcript is indexed
from its cues. On PostgreSQL each passage keeps its parsed text (``search``) for ranking.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction

from ..choices import CaptionLanguage
from ..models import Caption, Recording, TranscriptSegment
from .search import SEGMENT_LANGUAGE_GROUPS, column_for

_TIMECODE = re.compile(
    r"^\s*[\[(]?(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,]\d{1,3})?[\])]?"
    r"\s*(?:[-\u2013\u2014:]\s+)?"
)
_CUE_TIME = re.compile(r"^(?:(\d+):)?(\d{2}):(\d{2})[.,]\d{3}\s+-->")
_TAG = re.compile(r"<[^>]*>")


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def caption_cues(caption: Caption) -> list[tuple[int, str]]:
    """``(start second, text)`` of each cue of a WebVTT track (tags removed)."""
    try:
        with caption.file.open("rb") as handle:
            content = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    cues: list[tuple[int, str]] = []
    for block in re.split(r"\r?\n\s*\r?\n", content.lstrip("\ufeff")):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            match = _CUE_TIME.match(line.strip())
            if match:
                hours, minutes, secs = (int(g or 0) for g in match.groups())
                text = " ".join(_TAG.sub("", t).strip() for t in lines[index + 1 :]).strip()
                if text:
                    cues.append((hours * 3600 + minutes * 60 + secs, text))
                break
    return cues


def transcript_passages(
    transcript: str, cues: list[tuple[int, str]]
) -> list[tuple[int | None, str]]:
    """A transcript cut into lines with the second each starts at: a leading timecode
    (``[0:12:30]``, ``12:30 -``), else the caption cue with the same words, else the last
    time seen (``None`` before any)."""
    by_text = {}
    for start, text in cues:
        by_text.setdefault(_normal(text), start)
    passages: list[tuple[int | None, str]] = []
    current: int | None = None
    for raw in transcript.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _TIMECODE.match(line)
        if match and match.end() < len(line):
            current = int(match["h"] or 0) * 3600 + int(match["m"]) * 60 + int(match["s"])
            line = line[match.end() :].strip()
        elif _normal(line) in by_text:
            current = by_text[_normal(line)]
        passages.append((current, line))
    return passages


def index_transcript(*, recording: Recording) -> int:
    """Rewrite the recording's transcript passages in every language: from the transcript in
    that language, else from that language's caption cues. Returns the number written."""
    cues = {caption.language: caption_cues(caption) for caption in recording.captions.all()}
    languages = [code for code, _label in CaptionLanguage.choices]
    segments = []
    for language in languages:
        column = column_for(Recording, "transcript", language)
        transcript = (getattr(recording, column, "") or "") if column else ""
        language_cues = cues.get(language, [])
        if transcript.strip():
            passages = transcript_passages(transcript, language_cues)
        else:
            passages = [(start, text) for start, text in language_cues]
        segments += [
            TranscriptSegment(
                recording=recording,
                language=language,
                position=position,
                start_seconds=start,
                text=text,
            )
            for position, (start, text) in enumerate(passages)
        ]
    with transaction.atomic():
        TranscriptSegment.objects.filter(recording=recording).delete()
        TranscriptSegment.objects.bulk_create(segments, batch_size=1000)
        if connection.vendor == "postgresql":
            for group, config in SEGMENT_LANGUAGE_GROUPS:
                TranscriptSegment.objects.filter(recording=recording, language__in=group).update(
                    search=SearchVector("text", config=config)
                )
    return len(segments)
