"""Every user-visible string is translated into Bokmål and Nynorsk (DOMAIN.md rule 11)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("nb", "nn")
SKIP_DIRS = {".venv", "venv", "node_modules", "var", ".git", "bench", "tests", "locale"}


def _catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_every_entry_translated_and_not_fuzzy(lang):
    catalogue = _catalogue(lang)

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_placeholders_match_source(lang):
    import re

    pattern = re.compile(r"%\((\w+)\)s|\{\{\s*(\w+)\s*\}\}")
    mismatched = []
    for entry in _catalogue(lang).translated_entries():
        targets = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for target in targets:
            if set(pattern.findall(entry.msgid)) != set(pattern.findall(target)):
                mismatched.append(entry.msgid)
    assert mismatched == []


def test_catalogue_contains_every_source_string(tmp_path):
    """Extract the strings from a copy of the sources and compare with the committed catalogues."""
    copy = tmp_path / "src"

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {name for name in names if name in SKIP_DIRS or name.endswith(".pyc")}

    shutil.copytree(ROOT, copy, ignore=ignore)
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    for lang in LANGUAGES:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "makemessages", "-l", lang, "--add-location=never"],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
        extracted = {
            (entry.msgctxt, entry.msgid)
            for entry in polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))
        }
        committed = {(entry.msgctxt, entry.msgid) for entry in _catalogue(lang)}

        assert sorted(extracted - committed, key=str) == []
