"""Django's ``{# … #}`` comment ends at the line's end: one spanning lines is shown as text."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_OPEN_WITHOUT_CLOSE = re.compile(r"\{#(?!.*#\})")


def _templates() -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("*")
        if p.suffix in {".html", ".txt", ".ics"}
        and "templates" in p.parts
        and not {".venv", "node_modules", "var"} & set(p.parts)
    )


def test_templates_have_no_multiline_hash_comment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OPEN_WITHOUT_CLOSE.search(line)
    ]
    assert offenders == []


def test_the_check_sees_a_multiline_comment() -> None:
    assert _OPEN_WITHOUT_CLOSE.search("{# starts here")
    assert not _OPEN_WITHOUT_CLOSE.search("{# one line #}")
    assert len(_templates()) > 50
