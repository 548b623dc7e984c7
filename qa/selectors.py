"""Reads of questions reused by several views. Each list is a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Count, OuterRef, QuerySet
from django.http import Http404

from conferences.choices import PUBLIC_STATUSES as PUBLIC_CONFERENCE_STATUSES
from conferences.models import AgendaItem, Conference
from registrations.models import Registration

from .choices import PUBLIC_STATUSES, QuestionStatus
from .models import AnswerDigest, Question, Vote

SORTS = ("votes", "new")

# Duplicate suggestions: at most this many per question, each at least this similar (pg_trgm's
# similarity, 0 to 1; 0.3 is its own default threshold for the % operator).
DUPLICATE_LIMIT = 3
DUPLICATE_MIN_SIMILARITY = 0.3


def public_questions(*, conference: Conference, sort: str = "votes") -> list[Question]:
    """Published and answered questions with their answers, pinned first. One query."""
    order = ("-pinned", "-vote_count", "-published_at", "-pk")
    if sort == "new":
        order = ("-pinned", "-published_at", "-pk")
    return list(
        Question.objects.filter(conference=conference, status__in=PUBLIC_STATUSES)
        .select_related("answer", "registration")
        .only(
            "id",
            "text",
            "status",
            "show_company",
            "vote_count",
            "pinned",
            "answered_live",
            "answered_at",
            "published_at",
            "topics",
            "conference_id",
            "registration__organisation_name",
            "answer__text",
            "answer__published_at",
        )
        .order_by(*order)
    )


def own_questions(*, registration: Registration) -> list[Question]:
    """The registration's questions, newest first; merged ones with the question they follow."""
    return list(
        Question.objects.filter(registration=registration)
        .select_related("answer", "merged_into", "merged_into__answer")
        .order_by("-created_at", "-pk")
    )


def voted_question_ids(*, registration: Registration) -> set[int]:
    return set(Vote.objects.filter(registration=registration).values_list("question_id", flat=True))


def dashboard_questions(*, conference: Conference) -> list[Question]:
    """Every question of the conference with asker, answer and merge target. One query."""
    return list(
        Question.objects.filter(conference=conference)
        .select_related("registration", "answer", "merged_into", "text_edited_by")
        .annotate(duplicates=Count("merged_questions"))
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class DashboardColumns:
    awaiting: list[Question]
    published: list[Question]
    answered: list[Question]
    closed: list[Question]


def split_for_dashboard(questions: list[Question]) -> DashboardColumns:
    columns = DashboardColumns([], [], [], [])
    target = {
        QuestionStatus.AWAITING: columns.awaiting,
        QuestionStatus.PUBLISHED: columns.published,
        QuestionStatus.ANSWERED: columns.answered,
    }
    for question in questions:
        target.get(question.status, columns.closed).append(question)
    columns.published.sort(key=lambda q: (not q.pinned, -q.vote_count, q.pk))
    return columns


def get_dashboard_question(*, conference: Conference, question_id: int) -> Question:
    question = (
        Question.objects.filter(conference=conference, pk=question_id)
        .select_related("registration", "answer", "merged_into", "text_edited_by")
        .annotate(duplicates=Count("merged_questions"))
        .first()
    )
    if question is None:
        raise Http404("No such question.")
    return question


def merge_targets(*, conference: Conference) -> list[Question]:
    """The questions a duplicate may be merged into (published or answered), oldest first."""
    return list(
        Question.objects.filter(conference=conference, status__in=PUBLIC_STATUSES)
        .only("id", "text", "status", "conference_id")
        .order_by("created_at", "pk")
    )


_WORD = re.compile(r"[^\W_]+")


def trigrams(text: str) -> set[str]:
    """The trigrams of a text as pg_trgm forms them: lower-cased words of letters and digits,
    each padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity()``: shared trigrams over all trigrams of the two texts."""
    left, right = trigrams(a), trigrams(b)
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def duplicate_suggestions(
    *, conference: Conference, questions: Sequence[Question], candidates: Iterable[Question]
) -> dict[int, list[int]]:
    """For each of ``questions``, the ids of the public questions it most resembles, best
    first (merge targets must be public). PostgreSQL ranks with pg_trgm in one query; other
    databases (SQLite for ``make run``) compute the same similarity in Python over
    ``candidates`` (the conference's public questions, already loaded)."""
    ids = [q.pk for q in questions]
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        similar = (
            Question.objects.filter(
                conference_id=OuterRef("conference_id"), status__in=PUBLIC_STATUSES
            )
            .exclude(pk=OuterRef("pk"))
            .annotate(similarity=TrigramSimilarity("text", OuterRef("text")))
            .filter(similarity__gte=DUPLICATE_MIN_SIMILARITY)
            .order_by("-similarity", "pk")
            .values("pk")[:DUPLICATE_LIMIT]
        )
        rows = (
            Question.objects.filter(conference=conference, pk__in=ids)
            .annotate(suggested=ArraySubquery(similar))
            .values_list("pk", "suggested")
        )
        return {pk: list(suggested) for pk, suggested in rows}
    pool = [(c.pk, trigrams(c.text)) for c in candidates]
    result: dict[int, list[int]] = {}
    for question in questions:
        own = trigrams(question.text)
        scored = []
        for pk, grams in pool:
            union = own | grams
            score = len(own & grams) / len(union) if union else 0.0
            if pk != question.pk and score >= DUPLICATE_MIN_SIMILARITY:
                scored.append((-score, pk))
        result[question.pk] = [pk for _, pk in sorted(scored)[:DUPLICATE_LIMIT]]
    return result


def get_conference_for_moderation(*, slug: str) -> Conference:
    """Any conference but drafts; the caller has checked ``can_moderate``."""
    conference = (
        Conference.objects.select_related("buyer").filter(slug=slug).exclude(status="draft").first()
    )
    if conference is None:
        raise Http404("No such conference.")
    return conference


def public_log(*, conference: Conference) -> list[Question]:
    """The public Q&A log, oldest first: published and answered questions in full; questions not
    published or merged only with how they were handled (no text). Never the askers."""
    return list(
        Question.objects.filter(conference=conference)
        .exclude(status=QuestionStatus.AWAITING)
        .select_related("answer", "registration")
        .order_by("published_at", "pk")
    )


def public_log_conference(*, slug: str) -> Conference:
    conference = (
        Conference.objects.select_related("buyer")
        .filter(slug=slug, status__in=PUBLIC_CONFERENCE_STATUSES)
        .first()
    )
    if conference is None:
        raise Http404("No such conference.")
    return conference


def current_agenda_item(items: list[AgendaItem], now: dt.datetime) -> AgendaItem | None:
    """The item running now: started, and not yet ended (or no later item started)."""
    current = None
    for item in items:
        if item.starts_at <= now and (item.ends_at is None or now < item.ends_at):
            current = item
    return current


def attended_registration_ids(*, conference_id: int) -> set[int]:
    """Ids of the registrations that watched the conference live (opened the stream page)."""
    from .models import Attendance

    return set(
        Attendance.objects.filter(conference_id=conference_id).values_list(
            "registration_id", flat=True
        )
    )


def questions_for_report(*, conference_id: int) -> QuerySet[Question]:
    """Every question of the conference with its answer, for the dialogue report (oldest first).

    The report names no asker: the public record keeps askers anonymous (DOMAIN.md rule 3).
    """
    return (
        Question.objects.filter(conference_id=conference_id)
        .select_related("answer", "merged_into")
        .order_by("created_at", "pk")
    )


def answer_digests_for_report(*, conference_id: int) -> QuerySet[AnswerDigest]:
    return AnswerDigest.objects.filter(conference_id=conference_id).order_by("created_at", "pk")
