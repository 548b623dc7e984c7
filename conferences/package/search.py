"""Search in the information packages: published questions and their written answers, written
clarifications, transcripts (each passage linked to its moment in the video), chapters and
document titles. Never an asker's identity: no branch reads the registration.

PostgreSQL: full-text search with a dictionary per language (``norwegian`` for nb/nn,
``english`` for en), through text search configurations that also strip accents (``dk_*``,
created by ``conferences/migrations/0012_package_search.py`` with the ``unaccent`` extension), so
"mote" finds "møte" and "MØTENE" finds "møte". Ranked with ``ts_rank`` and highlighted with
``ts_headline``. Other databases (SQLite under ``make run``): a plain case-insensitive substring
match, highlighted in Python.

What is searched, and in which language, is listed once in ``SOURCES``. A text field with
per-language columns (``text_nb``, ``text_nn``, ``text_en``: django-modeltranslation) is read in
the reader's language with the Bokmål column as fallback, each column with its own dictionary;
without them the plain column is the Bokmål text. Found by looking at the model's fields, so
new language columns are searched without a change here.

One query per page of hits, however many: the sources are one ``UNION ALL`` built with the ORM
(``SearchVector``/``SearchQuery``/``SearchRank``), and a thin wrapper around it ranks, counts
(a window), cuts the page and runs ``ts_headline`` on the page's rows only (run on every hit it
would cost more than the search itself).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    FloatField,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Extract, Greatest, NullIf
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from qa.choices import PUBLIC_STATUSES as PUBLIC_QUESTION_STATUSES
from qa.models import Answer, Question

from ..choices import PUBLIC_STATUSES
from ..models import (
    Chapter,
    Clarification,
    Conference,
    Document,
    Recording,
    TranscriptSegment,
)
from .selectors import QA_PUBLIC_STATUSES

# --- Languages and dictionaries --------------------------------------------------------------

# Text search configurations made by the migration: the language's snowball stemmer after
# ``unaccent`` (accent- and case-insensitive; case is folded by the stemmer anyway).
NORWEGIAN = "dk_norwegian"
ENGLISH = "dk_english"
SIMPLE = "dk_simple"  # Northern Sami captions: no stemmer in PostgreSQL

CONFIG_BY_LANGUAGE = {"nb": NORWEGIAN, "nn": NORWEGIAN, "en": ENGLISH, "se": SIMPLE}
BOKMAL = "nb"
MAX_QUERY_LENGTH = 200
PER_PAGE = 20

# Marks ts_headline puts around a hit: private-use characters, removed from the texts first,
# so after escaping everything they are the only thing turned into <mark>. ts_headline reads
# HTML tags in a text as tags (it drops some of them), so ``<``, ``>`` and ``&`` go in as
# stand-ins and come out as their entities.
_START, _STOP = "\ue000", "\ue001"
_STAND_INS = {"<": "\ue002", ">": "\ue003", "&": "\ue004"}
_TRANSLATE_FROM = "".join(_STAND_INS) + _START + _STOP + "".join(_STAND_INS.values())
_TRANSLATE_TO = "".join(_STAND_INS.values())
_HEADLINE_OPTIONS = f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=40, MinWords=20'


def config_for(language: str) -> str:
    return CONFIG_BY_LANGUAGE.get(language, SIMPLE)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist
        return False
    return True


def column_for(model: type[Model], field: str, language: str) -> str | None:
    """The column holding ``field`` in ``language``: ``<field>_<language>`` when the model has
    per-language columns; without them the plain column is the Bokmål text."""
    if _has_field(model, f"{field}_{language}"):
        return f"{field}_{language}"
    return field if language == BOKMAL else None


def search_languages(model: type[Model], field: str, reader_language: str) -> list[str]:
    """The languages of ``model.field`` searched for a reader: theirs (when the model has it)
    and Bokmål, the fallback every page shows where a translation is missing."""
    languages = [reader_language] if reader_language != BOKMAL else []
    return [lang for lang in [*languages, BOKMAL] if column_for(model, field, lang)]


def _localized(model: type[Model], path: str, field: str, language: str) -> Any:
    """``path + field`` in ``language`` with the Bokmål text as fallback, as an expression."""
    bokmal = F(path + column_for(model, field, BOKMAL))  # type: ignore[operator]
    own = column_for(model, field, language)
    if own is None or language == BOKMAL:
        return Coalesce(bokmal, Value(""), output_field=CharField())
    return Coalesce(NullIf(F(path + own), Value("")), bokmal, Value(""), output_field=CharField())


# --- What is searched ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One kind of searchable text. ``conference``: the path to its conference; ``visible``:
    the filter that keeps only published, public material; ``title``: ``(model, path, field)``
    of the heading shown with a hit (or ``None``); ``recording``: the path to the recording
    for passages and chapters (their hits link to a moment in the video)."""

    kind: str
    model: type[Model]
    fields: tuple[str, ...]  # searched together; the last is the text shown with a hit
    conference: str
    visible: Callable[[], Q]
    title: tuple[type[Model], str, str] | None = None
    recording: str | None = None
    seconds: str | None = None  # a DurationField giving the moment in the video


def _question_visible(prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}status__in": PUBLIC_QUESTION_STATUSES,
            f"{prefix}conference__status__in": QA_PUBLIC_STATUSES,
        }
    )


SOURCES: tuple[Source, ...] = (
    Source("question", Question, ("text",), "conference", _question_visible),
    Source(
        "answer",
        Answer,
        ("text",),
        "question__conference",
        lambda: _question_visible("question__"),
    ),
    Source(
        "clarification",
        Clarification,
        ("title", "text"),
        "conference",
        lambda: Q(published_at__isnull=False),
        title=(Clarification, "", "title"),
    ),
    Source("document", Document, ("title",), "conference", lambda: Q(published_at__isnull=False)),
    Source(
        "chapter",
        Chapter,
        ("title",),
        "recording__conference",
        lambda: Q(recording__published_at__isnull=False),
        title=(Recording, "recording__", "title"),
        recording="recording",
        seconds="start",
    ),
)

# Transcript passages carry their own language (TranscriptSegment.language): each group of
# languages is searched with its dictionary, whatever the reader's language, so an English
# phrase finds the English transcript on a Norwegian page too.
SEGMENT_LANGUAGE_GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("nb", "nn"), NORWEGIAN),
    (("en",), ENGLISH),
    (("se",), SIMPLE),
)

# Ranked equally, listed in this order.
KIND_ORDER = [s.kind for s in SOURCES] + ["transcript"]

_COLUMNS = (
    "s_kind",
    "s_id",
    "s_conference",
    "s_slug",
    "s_conference_title",
    "s_title",
    "s_ref",
    "s_seconds",
    "s_uploaded",
    "s_body",
    "s_lang",
    "s_cfg",
    "s_rank",
)


def _duration_seconds(field: str) -> Any:
    if _is_postgres():
        return Cast(Extract(field, "epoch"), IntegerField())
    # SQLite keeps a duration as microseconds in an integer column.
    return Cast(F(field) / 1_000_000, IntegerField())


def _common(
    queryset: QuerySet,
    *,
    kind: str,
    reader: str,
    conference: str,
    title: Any,
    ref: Any,
    seconds: Any,
    uploaded: Any,
    body: Any,
    lang: Any,
    cfg: Any,
    rank: Any,
) -> QuerySet:
    return (
        queryset.annotate(
            s_kind=Value(kind, output_field=CharField()),
            s_id=F("pk"),
            s_conference=F(f"{conference}__pk"),
            s_slug=F(f"{conference}__slug"),
            s_conference_title=_localized(Conference, f"{conference}__", "title", reader),
            s_title=title,
            s_ref=ref,
            s_seconds=seconds,
            s_uploaded=uploaded,
            s_body=body,
            s_lang=lang,
            s_cfg=cfg,
            s_rank=rank,
        )
        .order_by()
        .values_list(*_COLUMNS)
    )


def _uploaded(recording: str | None) -> Any:
    if recording is None:
        return Value(False, output_field=BooleanField())
    return Case(
        When(**{f"{recording}__video_file": ""}, then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )


def _source_branch(source: Source, words: str, language: str, scope: Q) -> QuerySet:
    model, shown = source.model, source.fields[-1]
    languages = search_languages(model, shown, language)
    # A plain QuerySet: django-modeltranslation's manager would rewrite names and reorder the
    # values_list columns, which a UNION matches by position.
    queryset = QuerySet(model).filter(source.visible() & scope)
    matches: dict[str, Q] = {}
    ranks = []
    for lng in languages:
        columns = [c for f in source.fields if (c := column_for(model, f, lng))]
        if _is_postgres():
            query = SearchQuery(words, config=config_for(lng), search_type="websearch")
            queryset = queryset.alias(
                **{f"v_{lng}": SearchVector(*columns, config=config_for(lng))}
            )
            matches[lng] = Q(**{f"v_{lng}": query})
            ranks.append(SearchRank(F(f"v_{lng}"), query))
        else:
            matches[lng] = Q()
            for column in columns:
                matches[lng] |= Q(**{f"{column}__icontains": words})
    match = Q()
    for condition in matches.values():
        match |= condition
    queryset = queryset.filter(match)
    if not ranks:
        rank: Any = Value(0.0, output_field=FloatField())
    else:
        rank = ranks[0] if len(ranks) == 1 else Greatest(*ranks)
    # Shown in the reader's language where it is written and matches there, else in Bokmål
    # (the text the reader's page falls back to), with that language's dictionary.
    bokmal_text = Coalesce(F(column_for(model, shown, BOKMAL)), Value(""), output_field=CharField())
    if len(languages) > 1:
        own = languages[0]
        in_own = Q(**{f"{column_for(model, shown, own)}__gt": ""}) & matches[own]
        text = CharField()
        body = Case(
            When(in_own, then=F(column_for(model, shown, own))),
            default=bokmal_text,
            output_field=text,
        )
        lang = Case(When(in_own, then=Value(own)), default=Value(BOKMAL), output_field=text)
        cfg = Case(When(in_own, then=Value(config_for(own))), default=Value(config_for(BOKMAL)))
    else:
        body = bokmal_text
        lang = Value(BOKMAL, output_field=CharField())
        cfg = Value(config_for(BOKMAL), output_field=CharField())
    if source.title is not None:
        title_model, path, field = source.title
        title = _localized(title_model, path, field, language)
    else:
        title = Value("", output_field=CharField())
    if source.kind == "answer":
        ref = F("question_id")
    elif source.recording:
        ref = F(f"{source.recording}_id")
    else:
        ref = F("pk")
    seconds = (
        _duration_seconds(source.seconds) if source.seconds else Cast(Value(None), IntegerField())
    )
    return _common(
        queryset,
        kind=source.kind,
        reader=language,
        conference=source.conference,
        title=title,
        ref=ref,
        seconds=seconds,
        uploaded=_uploaded(source.recording),
        body=body,
        lang=lang,
        cfg=cfg,
        rank=rank,
    )


def _segment_branch(
    languages: tuple[str, ...], config: str, words: str, reader: str, scope: Q
) -> QuerySet:
    queryset = QuerySet(TranscriptSegment).filter(
        scope, language__in=languages, recording__published_at__isnull=False
    )
    if _is_postgres():
        # The stored vector (written by index_transcript): no parsing per hit.
        query = SearchQuery(words, config=config, search_type="websearch")
        queryset = queryset.filter(search=query)
        rank = SearchRank(F("search"), query)
    else:
        queryset = queryset.filter(text__icontains=words)
        rank = Value(0.0, output_field=FloatField())
    return _common(
        queryset,
        kind="transcript",
        reader=reader,
        conference="recording__conference",
        title=_localized(Recording, "recording__", "title", reader),
        ref=F("recording_id"),
        seconds=F("start_seconds"),
        uploaded=_uploaded("recording"),
        body=F("text"),
        lang=F("language"),
        cfg=Value(config, output_field=CharField()),
        rank=rank,
    )


def _union(words: str, language: str, conference_id: int | None) -> QuerySet:
    branches = []
    for source in SOURCES:
        scope = Q(**{f"{source.conference}__status__in": PUBLIC_STATUSES})
        if conference_id is not None:
            scope &= Q(**{f"{source.conference}__pk": conference_id})
        branches.append(_source_branch(source, words, language, scope))
    scope = Q(recording__conference__status__in=PUBLIC_STATUSES)
    if conference_id is not None:
        scope &= Q(recording__conference__pk=conference_id)
    for languages, config in SEGMENT_LANGUAGE_GROUPS:
        branches.append(_segment_branch(languages, config, words, language, scope))
    first, *rest = branches
    return first.union(*rest, all=True)


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    kind: str
    item_id: int
    conference_slug: str
    conference_title: str
    title: str
    snippet: SafeString
    language: str
    url: str
    ref: int  # the question's number (questions, answers) or the recording's id
    seconds: int | None = None
    package_url: str = ""

    @property
    def kind_label(self) -> str:
        return {
            "question": _("Question"),
            "answer": _("Answer"),
            "clarification": _("Written clarification"),
            "document": _("Presentation"),
            "chapter": _("Chapter"),
            "transcript": _("Transcript"),
        }[self.kind]


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.hits)


class SearchQueryError(ValueError):
    """The words cannot be searched for; the message is for the reader."""


def clean_query(raw: str | None) -> str:
    """The words to search for, or :class:`SearchQueryError` with a translated message."""
    words = " ".join((raw or "").split())
    if not words:
        raise SearchQueryError(_("Enter one or more words to search for."))
    if len(words) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            _("Use at most %(max)s characters in a search.") % {"max": MAX_QUERY_LENGTH}
        )
    return words.translate(dict.fromkeys(map(ord, _TRANSLATE_FROM[3:])))


def _mark(headline: str) -> SafeString:
    html = escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>")
    for char, stand_in in _STAND_INS.items():
        html = html.replace(stand_in, escape(char))
    return mark_safe(html)  # noqa: S308 (everything but our own marks is escaped)


def _python_headline(text: str, words: str, width: int = 240) -> SafeString:
    """The SQLite fallback's highlight: the text around the first hit, hits marked."""
    needle = words.casefold()
    at = text.casefold().find(needle)
    start = max(0, at - width // 3) if at > width // 3 else 0
    part = text[start : start + width]
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(text) else ""
    pattern = re.compile(re.escape(words), re.IGNORECASE)
    marked = pattern.sub(lambda m: _START + m.group(0) + _STOP, part)
    return _mark(prefix + marked + suffix)


def _url(row: dict[str, Any]) -> tuple[str, str]:
    """The hit's link, and the information package's address."""
    package = reverse("conferences:package", kwargs={"slug": row["s_slug"]})
    kind = row["s_kind"]
    if kind in ("question", "answer"):
        return f"{package}#q-{row['s_ref']}", package
    if kind == "clarification":
        return f"{package}#clarification-{row['s_id']}", package
    if kind == "document":
        return reverse(
            "conferences:document_file", kwargs={"slug": row["s_slug"], "pk": row["s_id"]}
        ), package
    # A moment in a recording: the package page with the player at that second
    # (static/conferences/package.js seeks it; nothing plays by itself). Not the video file
    # itself: browsers play a video opened on its own at once.
    if row["s_uploaded"] and row["s_seconds"] is not None:
        return f"{package}?t={row['s_seconds']}#recording-{row['s_ref']}", package
    return f"{package}#recording-{row['s_ref']}", package


def _hit(row: dict[str, Any], snippet: SafeString) -> SearchHit:
    url, package = _url(row)
    return SearchHit(
        kind=row["s_kind"],
        item_id=row["s_id"],
        conference_slug=row["s_slug"],
        conference_title=row["s_conference_title"],
        title=row["s_body"] if row["s_kind"] == "document" else row["s_title"],
        snippet=snippet,
        language=row["s_lang"],
        url=url,
        ref=row["s_ref"],
        seconds=row["s_seconds"] if row["s_kind"] in ("chapter", "transcript") else None,
        package_url=package,
    )


def _order_key(row: dict[str, Any]) -> tuple[float, int, int]:
    return (-float(row["s_rank"] or 0), KIND_ORDER.index(row["s_kind"]), row["s_id"])


def search_package(
    *, words: str, language: str, conference_id: int | None = None, page: int = 1
) -> SearchPage:
    """One page of hits for ``words`` (already cleaned), best first, in public material only.
    One query on PostgreSQL (two when ``page`` is past the end), two elsewhere."""
    page = max(1, page)
    if _is_postgres():
        rows, total = _postgres_page(_postgres_union(words, language, conference_id), words, page)
        if not rows and page > 1 and total == 0:
            return search_package(words=words, language=language, conference_id=conference_id)
        hits = [_hit(row, _mark(row["s_headline"])) for row in rows]
    else:
        union = _union(words, language, conference_id)
        total = union.count()
        if (page - 1) * PER_PAGE >= total:
            page = 1
        everything = sorted(
            (dict(zip(_COLUMNS, values, strict=True)) for values in union),
            key=_order_key,
        )
        rows = everything[(page - 1) * PER_PAGE : page * PER_PAGE]
        hits = [_hit(row, _python_headline(row["s_body"] or "", words)) for row in rows]
    return SearchPage(query=words, hits=hits, total=total, page=page, per_page=PER_PAGE)


# Building the union (eight querysets, a few dozen expressions) and compiling it costs more
# Python time than PostgreSQL needs to answer it. Its SQL depends only on the reader's language
# and whether one conference is searched, so it is compiled once per process with stand-in
# values, which are swapped for the words and the conference in the parameters.
_WORDS_STAND_IN = "\ue010words\ue010"
_CONFERENCE_STAND_IN = -919_000_019


@functools.lru_cache(maxsize=32)
def _compiled_union(language: str, scoped: bool) -> tuple[str, tuple[Any, ...]]:
    union = _union(_WORDS_STAND_IN, language, _CONFERENCE_STAND_IN if scoped else None)
    sql, params = union.query.sql_with_params()
    return sql, tuple(params)


def _postgres_union(
    words: str, language: str, conference_id: int | None
) -> tuple[str, tuple[Any, ...]]:
    sql, params = _compiled_union(language, conference_id is not None)
    swap = {_WORDS_STAND_IN: words, _CONFERENCE_STAND_IN: conference_id}
    return sql, tuple(
        swap[p] if isinstance(p, str | int) and not isinstance(p, bool) and p in swap else p
        for p in params
    )


def _postgres_page(
    union: tuple[str, tuple[Any, ...]], words: str, page: int
) -> tuple[list[dict[str, Any]], int]:
    sql, params = union
    kind_order = " ".join(
        f"WHEN '{kind}' THEN {index}" for index, kind in enumerate(KIND_ORDER)
    )  # constants of this module, never input
    order = f"s_rank DESC, CASE s_kind {kind_order} END, s_id"
    # The union's SQL and the ordering are built here, never from input: the words are params.
    wrapped = (
        "SELECT page.*, ts_headline(page.s_cfg::regconfig, translate(page.s_body, %s, %s), "  # noqa: S608
        "websearch_to_tsquery(page.s_cfg::regconfig, %s), %s) AS s_headline "
        f"FROM (SELECT hits.*, count(*) OVER () AS s_total FROM ({sql}) hits "
        f"ORDER BY {order} LIMIT %s OFFSET %s) page ORDER BY {order}"
    )
    all_params = (
        _TRANSLATE_FROM,
        _TRANSLATE_TO,
        words,
        _HEADLINE_OPTIONS,
        *params,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    with connection.cursor() as cursor:
        cursor.execute(wrapped, all_params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    total = rows[0]["s_total"] if rows else 0
    return rows, total
