"""Reads of the public record: the archive of conferences with published material, the
information package of one conference (recordings, documents, clarifications, the public Q&A,
meeting summaries, participants and the changelog), and the package's files reached by id.

The package sits above meetings, Q&A and registrations (ARCHITECTURE.md, layer 4), so it reads
their public selectors directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from dialogkonferanse.common.timefmt import oslo_date_text
from dialogkonferanse.common.translations import Resolved, content_language, resolve
from meetings.selectors import public_meeting_summaries
from qa.selectors import public_log
from registrations.selectors import public_participants

from ..choices import PUBLIC_STATUSES, ConferenceStatus
from ..models import Caption, Chapter, Clarification, Conference, Document, PackageChange, Recording
from ..selectors import can_preview_drafts, public_conferences

# --- The information package (DOMAIN.md rule 2) ---------------------------------------------

# As on the public Q&A log: the whole Q&A is public once the conference is over.
QA_PUBLIC_STATUSES = (ConferenceStatus.FOLLOW_UP, ConferenceStatus.CLOSED)


def _published_count(model: type[Recording] | type[Document] | type[Clarification]) -> Coalesce:
    rows = (
        model.objects.filter(conference=OuterRef("pk"), published_at__isnull=False)
        .order_by()
        .values("conference")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(rows, 0, output_field=IntegerField())


def archive_conferences() -> list[Conference]:
    """Public conferences with published material, newest first, with counts. One query."""
    last_change = (
        PackageChange.objects.filter(conference=OuterRef("pk"))
        .order_by()
        .values("conference")
        .annotate(last=Max("changed_at"))
        .values("last")
    )
    return list(
        public_conferences()
        .annotate(
            recording_count=_published_count(Recording),
            document_count=_published_count(Document),
            clarification_count=_published_count(Clarification),
            last_change_at=last_change,
        )
        .filter(Q(recording_count__gt=0) | Q(document_count__gt=0) | Q(clarification_count__gt=0))
        .order_by("-starts_at", "pk")
    )


def published_recordings(*, conference_id: int) -> list[Recording]:
    """The conference's published recordings, in publication order (the dialogue report)."""
    return list(
        Recording.objects.filter(conference_id=conference_id, published_at__isnull=False).order_by(
            "published_at", "pk"
        )
    )


def published_package_items(*, conference_id: int) -> list[tuple[dt.datetime, str, str]]:
    """``(published_at, kind, title)`` of every published recording, document and
    clarification (kind: ``recording``, ``document``, ``clarification``), oldest first."""
    items = [
        (item.published_at, kind, item.title)
        for kind, model in (
            ("recording", Recording),
            ("document", Document),
            ("clarification", Clarification),
        )
        for item in model.objects.filter(
            conference_id=conference_id, published_at__isnull=False
        ).only("published_at", "title")
    ]
    return sorted(items, key=lambda item: item[0])


@dataclass(frozen=True)
class PackageQuestion:
    """A public question, and where in a recording it was answered live (if known)."""

    question: Any  # qa.models.Question
    recording: Recording | None = None
    offset: int | None = None


@dataclass(frozen=True)
class ChangelogEntry:
    when: dt.datetime
    action: str
    kind: str
    title: Resolved  # in the reader's language, or Bokmål marked as such
    note: str = ""
    sha256: str = ""


@dataclass
class InformationPackage:
    conference: Conference
    recordings: list[Recording]
    documents: list[Document]
    clarifications: list[Clarification]
    questions: list[PackageQuestion]
    qa_public: bool
    summaries: list[Any]
    participants: list[Any]
    changelog: list[ChangelogEntry] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.recordings
            or self.documents
            or self.clarifications
            or self.questions
            or self.summaries
        )


def _generated(text: str) -> Resolved:
    """A title this code writes, in the reader's language already."""
    return Resolved(text, content_language(), fallback=False)


def _live_moment(question: Any, recordings: list[Recording]) -> tuple[Recording | None, int | None]:
    if not question.answered_live:
        return None, None
    for recording in recordings:
        offset = recording.offset_of(question.answered_at)
        if offset is not None:
            return recording, offset
    return None, None


def information_package(*, conference: Conference) -> InformationPackage:
    """Everything published for ``conference``: a fixed number of queries, however much."""
    recordings = list(
        Recording.objects.published()
        .filter(conference=conference)
        .prefetch_related(
            Prefetch("captions", queryset=Caption.objects.order_by("language", "pk")),
            Prefetch("chapters", queryset=Chapter.objects.order_by("start", "pk")),
        )
        .order_by("order", "pk")
    )
    for recording in recordings:
        recording.conference = conference  # for URLs, without a query per recording
    documents = list(
        Document.objects.published().filter(conference=conference).order_by("order", "pk")
    )
    for document in documents:
        document.conference = conference
    clarifications = list(
        Clarification.objects.published()
        .filter(conference=conference)
        .order_by("published_at", "pk")
    )
    qa_public = conference.status in QA_PUBLIC_STATUSES
    questions: list[PackageQuestion] = []
    if qa_public:
        for question in public_log(conference=conference):
            if question.is_public:
                recording, offset = _live_moment(question, recordings)
                questions.append(PackageQuestion(question, recording, offset))
    summaries = public_meeting_summaries(conference_id=conference.pk)
    changes = list(PackageChange.objects.filter(conference=conference).order_by("changed_at", "pk"))

    # An entry's title is the snapshot taken when the change was made, in each language the
    # item had then (entries from before the snapshot had languages: Bokmål only).
    changelog = [
        ChangelogEntry(
            when=change.changed_at,
            action=change.get_action_display(),
            kind=change.get_item_kind_display(),
            title=resolve(change, "title"),
            note=change.note,
            sha256=change.sha256,
        )
        for change in changes
    ]
    for item in questions:
        answer = getattr(item.question, "answer", None)
        if answer is not None:
            changelog.append(
                ChangelogEntry(
                    when=answer.published_at,
                    action=_("Published"),
                    kind=_("Written answer"),
                    title=_generated(
                        _("Answer to question %(number)s") % {"number": item.question.pk}
                    ),
                )
            )
    for summary in summaries:
        changelog.append(
            ChangelogEntry(
                when=summary.updated_at,
                action=_("Published"),
                kind=_("Summary of a one-to-one meeting"),
                title=_generated(
                    _("Meeting on %(date)s")
                    % {"date": oslo_date_text(summary.meeting_date, "SHORT_DATE_FORMAT")}
                ),
            )
        )
    changelog.sort(key=lambda entry: entry.when, reverse=True)
    return InformationPackage(
        conference=conference,
        recordings=recordings,
        documents=documents,
        clarifications=clarifications,
        questions=questions,
        qa_public=qa_public,
        summaries=summaries,
        participants=public_participants(conference=conference),
        changelog=changelog,
    )


# --- Files of the package, reached by id from the address -----------------------------------


def _visible(queryset: QuerySet, prefix: str, user: Any) -> QuerySet:
    if can_preview_drafts(user):
        return queryset
    return queryset.filter(
        **{
            f"{prefix}published_at__isnull": False,
            f"{prefix}conference__status__in": PUBLIC_STATUSES,
        }
    )


def get_recording_file(*, slug: str, pk: int, user: Any = None) -> Recording:
    """An uploaded recording to play: published (staff with view permission: any). 404 else."""
    queryset = (
        Recording.objects.select_related("conference")
        .filter(pk=pk, conference__slug=slug)
        .exclude(video_file="")
    )
    recording = _visible(queryset, "", user).first()
    if recording is None:
        raise Http404("No such recording.")
    return recording


def get_caption_file(*, slug: str, pk: int, language: str, user: Any = None) -> Caption:
    queryset = Caption.objects.select_related("recording").filter(
        recording_id=pk, recording__conference__slug=slug, language=language
    )
    caption = _visible(queryset, "recording__", user).first()
    if caption is None:
        raise Http404("No such caption track.")
    return caption


def get_document_file(*, slug: str, pk: int, user: Any = None) -> Document:
    queryset = Document.objects.select_related("conference").filter(pk=pk, conference__slug=slug)
    document = _visible(queryset, "", user).first()
    if document is None:
        raise Http404("No such document.")
    return document
