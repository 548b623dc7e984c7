"""Kept for the migrations only: they name these validators by this path
(``dialogkonferanse.validators.validate_email_address``), and migration files are never
rewritten. The validators live in ``dialogkonferanse.common.validators``; code imports them
from there."""

from dialogkonferanse.common.validators import validate_email_address, validate_single_line

__all__ = ["validate_email_address", "validate_single_line"]
