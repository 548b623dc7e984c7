"""Values that end up in a mail header or a calendar property: the rule and the neutraliser.

Mail and calendar parsers split lines on more than CR and LF (Python's ``str.splitlines`` also
breaks at VT, FF, the file/group/record separators, NEL and U+2028/U+2029), so a single such
character in an address or a name can start a forged header (``Bcc:``) or property
(``ATTENDEE:``) once a message is parsed and written out again. Django's email validator
admits most of them (in a quoted local part, or in an international domain), so every field
whose value reaches a header or a property carries one of the validators below, and the mail
and calendar builders neutralise whatever got past them (rows written before the rule).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Cc: C0/C1 controls and DEL; Cf: invisible format characters (zero-width, bidi overrides);
# Zl/Zp: the Unicode line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})

# What the neutralisers remove: format characters (Cf) are harmless in output and may belong
# to the text (emoji sequences, Persian zero-width non-joiners).
_LINE_OR_CONTROL = frozenset({"Cc", "Zl", "Zp"})

SINGLE_LINE_MESSAGE = _("Use a single line without line breaks or control characters.")
EMAIL_MESSAGE = _("An email address cannot contain line breaks or control characters.")


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a line break, a control or an invisible format character."""
    if value.isascii():
        return not value.isprintable()  # printable ASCII is exactly U+0020..U+007E
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value)


def validate_single_line(value: str) -> None:
    """A name or title that may appear in a header, a display name or a calendar property."""
    if has_control_characters(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def validate_email_address(value: str) -> None:
    """With Django's ``validate_email`` (every ``EmailField`` runs it): no control characters."""
    if has_control_characters(value):
        raise ValidationError(EMAIL_MESSAGE, code="control_characters")


# --- Neutralising what got past the rule ----------------------------------------------------


def text_lines(value: str) -> str:
    """``value`` with every kind of line break made ``\\n`` and other control characters
    (except tab) removed: safe for a writer that escapes ``\\n`` (a calendar TEXT value)."""
    if value.isascii() and value.isprintable():
        return value
    return "\n".join(
        "".join(
            char
            for char in line
            if char == "\t" or unicodedata.category(char) not in _LINE_OR_CONTROL
        )
        for line in value.splitlines()
    )


def one_line(value: str) -> str:
    """``value`` as one line: line breaks and runs of whitespace become one space, control
    characters go (for a subject, a display name or a calendar parameter)."""
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()
    return " ".join(text_lines(value).split())
