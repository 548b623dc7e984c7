"""The import contract (``[tool.importlinter]`` in pyproject.toml) places every module and
catches an import that points up a layer, deferred imports included."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dialogkonferanse", "conferences", "registrations", "meetings", "qa")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract(contract_id: str) -> dict:
    [contract] = [c for c in _config()["contracts"] if c["id"] == contract_id]
    return contract


def _layer_modules() -> list[list[str]]:
    return [
        [name.strip() for name in layer.replace("|", ":").split(":")]
        for layer in _contract("layers")["layers"]
    ]


def _modules_on_disk() -> set[str]:
    """Each package's direct modules and subpackages (the unit the layers place)."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).iterdir():
            if path.name in ("__init__.py", "migrations", "__pycache__"):
                continue
            if path.suffix == ".py":
                found.add(f"{package}.{path.stem}")
            elif (path / "__init__.py").exists():
                found.add(f"{package}.{path.name}")
    return found


def test_contract_every_module_in_exactly_one_layer():
    placed = [name for layer in _layer_modules() for name in layer]

    duplicates = sorted({name for name in placed if placed.count(name) > 1})
    assert duplicates == []
    assert sorted(_modules_on_disk() - set(placed)) == []
    assert sorted(set(placed) - _modules_on_disk()) == []


def test_contract_shared_layer_is_the_forbidden_contracts_source():
    assert sorted(_contract("shared")["source_modules"]) == sorted(_layer_modules()[-1])


def _scratch_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_contract_holds_for_the_tree(tmp_path):
    result = _lint_imports(_scratch_copy(tmp_path))

    assert result.returncode == 0, result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # a lower app reaching a higher one at module level
        ("conferences/selectors.py", "from qa import selectors as _upward  # noqa"),
        # deferred: an import inside a function counts too
        (
            "registrations/services.py",
            "def _upward():\n    from meetings import services  # noqa\n",
        ),
        # the shared layer reaching an app
        ("dialogkonferanse/outbox/queue.py", "import conferences.models  # noqa"),
        # meetings and Q&A are independent
        ("meetings/selectors.py", "from qa import models as _sideways  # noqa"),
    ],
)
def test_contract_catches_an_import_up_or_across(tmp_path, module, line):
    tree = _scratch_copy(tmp_path)
    target = tree / module
    target.write_text(target.read_text() + "\n\n" + line + "\n")

    result = _lint_imports(tree)

    assert result.returncode == 1
    assert "BROKEN" in result.stdout
