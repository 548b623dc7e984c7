"""Validators for identifiers used in Norwegian public procurement."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOTICE_REFERENCE_RE = re.compile(r"^(?P<year>\d{4})-(?P<number>\d{6})$")
_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def validate_notice_reference(value: str) -> None:
    """A Doffin notice ID: ``YYYY-NNNNNN`` with a plausible year."""
    match = NOTICE_REFERENCE_RE.match(value or "")
    if not match or not 2000 <= int(match["year"]) <= 2099:
        raise ValidationError(
            _("Enter a Doffin notice reference in the form YYYY-NNNNNN, for example 2026-104512."),
            code="invalid_notice_reference",
        )


def normalise_organisation_number(value: str) -> str:
    """Drop the spaces people type in Norwegian organisation numbers (``974 760 673``)."""
    return re.sub(r"\s+", "", value or "")


def is_valid_organisation_number(value: str) -> bool:
    """MOD11 over the first eight digits (DOMAIN.md rule 6); check digit 10 is invalid."""
    digits = normalise_organisation_number(value)
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:8], _ORGNR_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        check = 0
    elif remainder == 1:
        return False
    else:
        check = 11 - remainder
    return check == int(digits[8])


def validate_organisation_number(value: str) -> None:
    if not is_valid_organisation_number(value):
        raise ValidationError(
            _("Enter a valid Norwegian organisation number: nine digits, for example 974 760 673."),
            code="invalid_organisation_number",
        )
