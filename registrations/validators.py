"""Validators for what suppliers type into the registration forms."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from conferences.validators import is_valid_organisation_number
from dialogkonferanse.common.validators import validate_email_address, validate_single_line

__all__ = [
    "validate_email_address",
    "validate_multiline_text",
    "validate_norwegian_organisation_number",
    "validate_phone",
    "validate_single_line",
]

_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{4,40}$")


def validate_multiline_text(value: str) -> None:
    """Free text may have line breaks and tabs, but no other control characters."""
    if any(unicodedata.category(char) in ("Cc", "Cf") and char not in "\r\n\t" for char in value):
        raise ValidationError(_("Remove the control characters from the text."), code="control")


def validate_phone(value: str) -> None:
    if value and not _PHONE_RE.match(value):
        raise ValidationError(
            _("Enter a phone number with digits, spaces and an optional leading +."),
            code="invalid_phone",
        )


def validate_norwegian_organisation_number(value: str) -> None:
    """Nine digits with a valid MOD11 check digit (DOMAIN.md rule 6); spaces are ignored.

    The check itself is ``conferences.validators.is_valid_organisation_number``, shared with the
    buyer's organisation number.
    """
    if not is_valid_organisation_number(value):
        raise ValidationError(
            _(
                "This is not a valid Norwegian organisation number. Check the nine digits, "
                "for example 974 760 673."
            ),
            code="invalid_organisation_number",
        )
