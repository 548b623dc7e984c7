"""The texts staff write and suppliers read, per language (django-modeltranslation).

Each field gets ``<name>_nb`` (Bokmål, required where the field is), ``<name>_nn`` and
``<name>_en`` (optional, and only in the languages the conference offers: ``Conference.clean``).
Reading the plain name gives the active language's text or, when it is empty, the Bokmål one;
public pages mark that fallback with ``{% translated %}``.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    AgendaItem,
    BuyerOrganisation,
    Chapter,
    Clarification,
    Conference,
    Document,
    PackageChange,
    Recording,
)
from .models.conference import default_dialogue_rules_nb


@register(BuyerOrganisation)
class BuyerOrganisationTranslation(TranslationOptions):
    fields = ("name", "email_signature")
    required_languages = ("nb",)
    # One buyer per Bokmål name; the other languages' names may repeat or stay empty.
    field_options = {"name": {"nn": {"unique": False}, "en": {"unique": False}}}


@register(Conference)
class ConferenceTranslation(TranslationOptions):
    fields = ("title", "summary", "description", "dialogue_rules")
    required_languages = ("nb",)
    # The legal text is prefilled in Bokmål only (the field's default, in the editor's language
    # otherwise); a Nynorsk or English version is written on purpose, where the conference
    # offers that language.
    field_options = {
        "dialogue_rules": {
            "nb": {"default": default_dialogue_rules_nb},  # the admin's add form shows it
            "nn": {"default": None},
            "en": {"default": None},
        }
    }


@register(AgendaItem)
class AgendaItemTranslation(TranslationOptions):
    fields = ("title", "speaker", "description")
    required_languages = ("nb",)


@register(Recording)
class RecordingTranslation(TranslationOptions):
    fields = ("title", "transcript")
    required_languages = ("nb",)


@register(Chapter)
class ChapterTranslation(TranslationOptions):
    fields = ("title",)
    required_languages = ("nb",)


@register(Document)
class DocumentTranslation(TranslationOptions):
    fields = ("title",)
    required_languages = ("nb",)


@register(Clarification)
class ClarificationTranslation(TranslationOptions):
    fields = ("title", "text")
    required_languages = ("nb",)


@register(PackageChange)
class PackageChangeTranslation(TranslationOptions):
    # The item's title in each language as it was when the change was made (a snapshot: the
    # changelog is append-only, so a later edit of the item does not rewrite it).
    fields = ("title",)
    required_languages = ("nb",)
