"""A conference's translation status: which texts miss which offered language (admin page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.text import capfirst

from dialogkonferanse.common.translations import language_name, missing_fields
from meetings.models import MeetingSettings, Minutes
from qa.models import Answer

from ..models import AgendaItem, Chapter, Clarification, Conference, Document, Recording


@dataclass(frozen=True)
class MissingText:
    item: str  # what the text belongs to ("Agenda item: Opening")
    field: str  # the field's label
    languages: tuple[str, ...]  # names of the offered languages it is missing in


def _objects(conference: Conference) -> Iterable[tuple[Any, Model]]:
    yield conference._meta.verbose_name, conference
    yield conference.buyer._meta.verbose_name, conference.buyer
    for model, filter_ in (
        (AgendaItem, {"conference": conference}),
        (Recording, {"conference": conference}),
        (Chapter, {"recording__conference": conference}),
        (Document, {"conference": conference}),
        (Clarification, {"conference": conference}),
        (MeetingSettings, {"conference": conference}),
        (Answer, {"question__conference": conference}),
        (Minutes, {"meeting__conference": conference}),
    ):
        for obj in model._default_manager.filter(**filter_):
            yield model._meta.verbose_name, obj


def translation_status(conference: Conference) -> list[MissingText]:
    """Every text with Bokmål content and no version in an offered language, in page order."""
    offered = [language for language in conference.languages_offered if language != "nb"]
    if not offered:
        return []
    rows: list[MissingText] = []
    for kind, obj in _objects(conference):
        missing: dict[str, list[str]] = {}
        for language in offered:
            for field in missing_fields(obj, language):
                missing.setdefault(field, []).append(language_name(language))
        for field, languages in missing.items():
            label = obj._meta.get_field(field).verbose_name
            item = f"{capfirst(str(kind))}: {str(obj)[:60]}"
            rows.append(MissingText(item, capfirst(str(label)), tuple(languages)))
    return rows
