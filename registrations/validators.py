"""Validators for what suppliers type into the registration forms."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from conferences.validators import is_valid_organisation_number
from dialogkonferanse.common.validators import validate_email_address, validate_single_line

from .choices import Country

__all__ = [
    "validate_email_address",
    "validate_multiline_text",
    "validate_norwegian_organisation_number",
    "validate_phone",
    "validate_single_line",
    "validate_supplier_identifiers",
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


def validate_supplier_identifiers(
    *, country: str, organisation_number: str, national_id: str
) -> None:
    """The identifier a supplier gives depends on its country (DOMAIN.md rules 5 and 6): a
    Norwegian supplier its organisation number, any other its national or VAT identifier.
    Raises a ``ValidationError`` keyed by the missing field. Whether a given organisation number
    passes MOD11 is the field's own validator."""
    if country == Country.NO:
        if not (organisation_number or "").strip():
            raise ValidationError(
                {
                    "organisation_number": ValidationError(
                        _("Enter the organisation number: it is required for Norwegian suppliers."),
                        code="organisation_number_required",
                    )
                }
            )
    elif not (national_id or "").strip():
        raise ValidationError(
            {
                "national_id": ValidationError(
                    _(
                        "Enter the national or VAT identifier: it is required for suppliers "
                        "outside Norway."
                    ),
                    code="national_id_required",
                )
            }
        )
