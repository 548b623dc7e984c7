"""Reads of conferences reused by several views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .choices import PUBLIC_STATUSES, ConferenceStatus
from .models import (
    AgendaItem,
    Caption,
    Chapter,
    Clarification,
    Conference,
    Document,
    PackageChange,
    Recording,
)


def public_conferences() -> QuerySet[Conference]:
    return Conference.objects.public().select_related("buyer")


def upcoming_and_past_conferences(
    now: dt.datetime | None = None,
) -> tuple[list[Conference], list[Conference]]:
    """Public conferences split by whether they have ended; upcoming soonest first."""
    now = now or timezone.now()
    upcoming = list(public_conferences().filter(ends_at__gte=now).order_by("starts_at"))
    past = list(public_conferences().filter(ends_at__lt=now).order_by("-starts_at"))
    return upcoming, past


def can_preview_drafts(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perm("conferences.view_conference")
    )


def get_conference_for_viewer(
    *,
    slug: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    with_programme: bool = True,
) -> Conference:
    """The conference at ``slug`` with its buyer (and, ``with_programme``, agenda, notices and
    whether it has published material), in one query plus one per prefetched relation.

    The public sees only published conferences; staff with view permission may preview drafts.
    Raises ``Http404`` otherwise.
    """
    queryset = Conference.objects.select_related("buyer").filter(slug=slug)
    if not can_preview_drafts(user):
        queryset = queryset.filter(status__in=PUBLIC_STATUSES)
    if with_programme:
        queryset = queryset.annotate(
            published_material=ExpressionWrapper(_published_material(), output_field=BooleanField())
        ).prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("starts_at", "pk")),
            "notice_references",
        )
    conference = queryset.first()
    if conference is None:
        raise Http404("No such conference.")
    return conference


def public_conference_for_registration(*, slug: str) -> Conference:
    """The published conference at ``slug`` with its buyer (no programme): what the
    registration pages show. The registration itself reads the conference again under a lock,
    so a change made after this read is never written over. Raises ``Http404``."""
    return get_conference_for_viewer(slug=slug, user=None, with_programme=False)


def _published_material() -> Q:
    """True when a recording, document or clarification of the outer conference is published."""
    condition = Q()
    for model in (Recording, Document, Clarification):
        condition |= Exists(
            model.objects.filter(conference=OuterRef("pk"), published_at__isnull=False)
        )
    return condition


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


def has_published_material(*, conference: Conference) -> bool:
    """Whether any recording, document or clarification of the conference is published
    (already known, without a query, when the conference came from
    ``get_conference_for_viewer`` with its programme)."""
    known = getattr(conference, "published_material", None)
    if known is not None:
        return known
    return Conference.objects.filter(_published_material(), pk=conference.pk).exists()


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
    title: str
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
    from meetings.selectors import public_meeting_summaries
    from qa.selectors import public_log
    from registrations.selectors import public_participants

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

    changelog = [
        ChangelogEntry(
            when=change.changed_at,
            action=change.get_action_display(),
            kind=change.get_item_kind_display(),
            title=change.title,
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
                    title=_("Answer to question %(number)s") % {"number": item.question.pk},
                )
            )
    for summary in summaries:
        changelog.append(
            ChangelogEntry(
                when=summary.updated_at,
                action=_("Published"),
                kind=_("Summary of a one-to-one meeting"),
                title=_("Meeting on %(date)s")
                % {
                    "date": date_format(
                        timezone.localtime(summary.meeting_date), "SHORT_DATE_FORMAT"
                    )
                },
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
