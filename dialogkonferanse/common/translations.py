"""Per-language content: which texts exist in which language, the Bokmål fallback, the rule
that a conference carries text only in the languages it offers.

The fields themselves are django-modeltranslation's (``title_nb``, ``title_nn``, ``title_en``,
registered in each app's ``translation.py``); this module only reads them, so it knows no app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname

#: The language every text has (required) and the ones a conference may add.
DEFAULT_LANGUAGE = "nb"
CONTENT_LANGUAGES = ("nb", "nn", "en")
OPTIONAL_LANGUAGES = ("nn", "en")

# The note beside a text shown in Bokmål because the reader's language lacks it, written in the
# reader's language (so it is translated in that language's catalogue).
_MISSING_NOTES = {
    "nn": _("Not available in Nynorsk"),
    "en": _("Not available in English"),
}
_LANGUAGE_NAMES = {
    "nb": _("Bokmål"),
    "nn": _("Nynorsk"),
    "en": _("English"),
}


def language_name(language: str) -> str:
    return str(_LANGUAGE_NAMES.get(language, language))


def content_language(language: str | None = None) -> str:
    """The content language for a UI language (``nb``, ``nn`` or ``en``; anything else: nb)."""
    language = (language or translation.get_language() or DEFAULT_LANGUAGE).split("-")[0]
    return language if language in CONTENT_LANGUAGES else DEFAULT_LANGUAGE


def translated_fields(model: type[Model] | Model) -> tuple[str, ...]:
    """The names of the model's per-language fields (without suffix), in declaration order."""
    try:
        model_class = type(model) if isinstance(model, Model) else model
        options = translator.get_options_for_model(model_class)
    except NotRegistered:
        return ()
    return tuple(options.fields)


def localized_names(field: str) -> tuple[str, ...]:
    """``title`` → ``("title_nb", "title_nn", "title_en")``."""
    return tuple(build_localized_fieldname(field, language) for language in CONTENT_LANGUAGES)


def text_in(obj: Model, field: str, language: str) -> str:
    """The field's own text in ``language``, without fallback ("" when there is none)."""
    value = getattr(obj, build_localized_fieldname(field, language), None)
    return value if isinstance(value, str) else ("" if value is None else str(value))


def has_text(obj: Model, field: str, language: str) -> bool:
    return bool(text_in(obj, field, language).strip())


@dataclass(frozen=True)
class Resolved:
    """A text for one reader: in their language, or Bokmål with a note saying so."""

    text: str
    language: str
    fallback: bool
    note: str = ""


def resolve(obj: Model, field: str, language: str | None = None) -> Resolved:
    """The text of ``field`` for a reader of ``language`` (default: the active one).

    Missing in that language: the Bokmål text, with ``fallback`` set and the note ("Not
    available in English") in the reader's language. Missing in Bokmål too: empty, no note.
    """
    language = content_language(language)
    if language != DEFAULT_LANGUAGE and has_text(obj, field, language):
        return Resolved(text_in(obj, field, language), language, fallback=False)
    text = text_in(obj, field, DEFAULT_LANGUAGE)
    if language == DEFAULT_LANGUAGE or not text.strip():
        return Resolved(text, DEFAULT_LANGUAGE, fallback=False)
    with translation.override(language):
        note = str(_MISSING_NOTES[language])
    return Resolved(text, DEFAULT_LANGUAGE, fallback=True, note=note)


def missing_fields(obj: Model, language: str) -> list[str]:
    """The fields that have Bokmål text but none in ``language`` (names without suffix)."""
    return [
        field
        for field in translated_fields(obj)
        if has_text(obj, field, DEFAULT_LANGUAGE) and not has_text(obj, field, language)
    ]


def unoffered_language_errors(
    obj: Model, offered: Iterable[str], *, fields: Iterable[str] | None = None
) -> dict[str, list[ValidationError]]:
    """Errors for text in a language the conference does not offer, by localized field name.

    Bokmål is always offered. Model ``clean()`` methods call this, so the admin, commands and
    imports all obey the conference's "languages offered" setting. A text identical to the
    Bokmål one is not counted (see below).
    """
    offered = set(offered) | {DEFAULT_LANGUAGE}
    errors: dict[str, list[ValidationError]] = {}
    for field in fields if fields is not None else translated_fields(obj):
        bokmal = text_in(obj, field, DEFAULT_LANGUAGE).strip()
        for language in OPTIONAL_LANGUAGES:
            # A copy of the Bokmål text is no content in another language: it is what code
            # that writes a plain field name (``Conference(title=…)``) while another language
            # is active stores beside the Bokmål one (MODELTRANSLATION_AUTO_POPULATE).
            if (
                language not in offered
                and has_text(obj, field, language)
                and text_in(obj, field, language).strip() != bokmal
            ):
                errors.setdefault(build_localized_fieldname(field, language), []).append(
                    ValidationError(
                        _("The conference does not offer content in %(language)s."),
                        params={"language": _LANGUAGE_NAMES[language]},
                        code="language_not_offered",
                    )
                )
    return errors
