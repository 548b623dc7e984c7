"""URL path converters that admit only what a path parameter can be.

A value that cannot name anything (an id beyond PostgreSQL's ``bigint``, a NUL byte, a made-up
language code) does not match the pattern, so the request is a 404 before any view runs a
query. Registered once, when the project app is ready (``apps.py``); every URL conf uses
``<id:…>``, ``<lang:…>``, ``<token:…>`` and ``<word:…>`` instead of ``<int:…>`` and ``<str:…>``.
"""

from __future__ import annotations

from django.urls import register_converter

# Every model's primary key is a BigAutoField (DEFAULT_AUTO_FIELD): PostgreSQL's bigint.
BIGINT_MAX = 2**63 - 1


class IdConverter:
    """A primary key: decimal digits, at most PostgreSQL's largest ``bigint``."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            # A ValueError tells the resolver the pattern does not match: a 404.
            raise ValueError(f"{value} is beyond bigint.")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


class LanguageConverter:
    """A lower-case language code as used in ``LANGUAGES`` and caption tracks: ``nb``,
    ``se``, ``en-gb``."""

    regex = "[a-z]{2,3}(?:-[a-z0-9]{1,8})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter:
    """A personal-link token as it arrives from an email.

    Any printable text without a slash: the view answers every malformed or unknown token
    with the same "this link does not work" page (a link mangled by a mail client should
    still explain itself), and only the token's SHA-256 ever reaches the database. Control
    characters (NUL among them) cannot come from a copied link.
    """

    regex = "[^/\\x00-\\x1f\\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class WordConverter:
    """A lower-case word or hyphenated words, such as a moderation action (``answered-live``)."""

    regex = "[a-z]{1,32}(?:-[a-z]{1,32}){0,3}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


CONVERTERS = {
    "id": IdConverter,
    "lang": LanguageConverter,
    "token": TokenConverter,
    "word": WordConverter,
}


def register() -> None:
    """Make the converters known to ``path()``; called once from ``DialogkonferanseConfig``."""
    for name, converter in CONVERTERS.items():
        register_converter(converter, name)
