"""CSV cells that a spreadsheet shows as text, never evaluates (CSV formula injection)."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """Text as it was typed, with a leading apostrophe where a spreadsheet would see a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
