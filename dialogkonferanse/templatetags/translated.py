"""``{% translated obj "field" %}``: a text staff wrote, in the reader's language or, where it
is missing, honestly in Bokmål.

The fallback is marked ``lang="nb"`` (screen readers switch voice) and followed by a short note
in the reader's language ("Ikkje tilgjengeleg på nynorsk", "Not available in English"), so a
page never shows an empty block nor passes Bokmål off as the reader's language. Every public
page and email renders per-language content through this one tag.

Formats (third argument):

- ``"inline"`` (default): ``<span lang="nb">…</span> <small>(note)</small>``, for headings,
  titles and list entries;
- ``"linebreaks"`` / ``"linebreaksbr"``: a ``<div>`` with the text's paragraphs or line breaks,
  then the note as its own paragraph, for descriptions, rules, answers, transcripts;
- ``"text"``: plain text for text emails, the note in brackets on the next line.

The text is read from the object's per-language attributes (``title_nb``, ``title_nn``, …),
loaded with the row: no query.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

from dialogkonferanse.common.translations import resolve

register = template.Library()

_BLOCK_FORMATS = {
    "linebreaks": lambda text: linebreaks(text, autoescape=True),
    "linebreaksbr": lambda text: linebreaksbr(text, autoescape=True),
}


@register.simple_tag
def translated(obj: Any, field: str, format: str = "inline") -> SafeString | str:
    if obj is None:
        return ""
    resolved = resolve(obj, field)
    if format == "text":
        if resolved.fallback:
            return f"{resolved.text}\n[{resolved.note}]"
        return resolved.text
    block = _BLOCK_FORMATS.get(format)
    if block is None:
        if not resolved.fallback:
            return resolved.text  # escaped by the template
        return format_html(
            '<span lang="nb">{}</span> <small class="translation-note text-body-secondary">'
            "({})</small>",
            resolved.text,
            resolved.note,
        )
    body = mark_safe(block(resolved.text))  # noqa: S308 (escaped by the filter)
    if not resolved.fallback:
        return body
    return format_html(
        '<div lang="nb">{}</div><p class="translation-note small text-body-secondary">{}</p>',
        body,
        resolved.note,
    )
