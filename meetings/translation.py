"""The one-to-one meetings' texts suppliers read, per language (see conferences/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import MeetingSettings, Minutes


@register(MeetingSettings)
class MeetingSettingsTranslation(TranslationOptions):
    fields = ("agenda",)
    required_languages = ("nb",)


@register(Minutes)
class MinutesTranslation(TranslationOptions):
    # Only the public summary: the internal minutes are the buyer's record, in one language.
    fields = ("public_summary",)
    required_languages = ("nb",)
