"""The written answers, per language (see conferences/translation.py); questions stay as asked."""

from modeltranslation.translator import TranslationOptions, register

from .models import Answer


@register(Answer)
class AnswerTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("nb",)
