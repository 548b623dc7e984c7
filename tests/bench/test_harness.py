"""The harness's own logic: the BENCH line format and target comparison (no server needed)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bench.harness import BenchResult, bench_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "op", "target", "expected"),
    [
        (0.52, ">=", 0.3, "BENCH page_ratio 0.52 ratio target >=0.3 PASS"),
        (0.25, ">=", 0.3, "BENCH page_ratio 0.25 ratio target >=0.3 FAIL"),
        (0, "<=", 0, "BENCH page_ratio 0 ratio target <=0 PASS"),
        (3, "<=", 0, "BENCH page_ratio 3 ratio target <=0 FAIL"),
        (1234.567, ">", 1000, "BENCH page_ratio 1234.6 ratio target >1000 PASS"),
    ],
)
def test_bench_result_line_states_value_target_and_verdict(
    value: float, op: str, target: float, expected: str
) -> None:
    assert BenchResult("page_ratio", value, "ratio", op, target).line() == expected


@pytest.mark.parametrize(("name", "op"), [("Page Ratio", ">="), ("page_ratio", "=>")])
def test_bench_result_with_bad_name_or_op_is_refused(name: str, op: str) -> None:
    with pytest.raises(ValueError, match=r"op must be|snake_case"):
        BenchResult(name, 1, "ratio", op, 1)


def test_bench_env_keeps_server_but_uses_bench_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw@db.example:5433/production")
    monkeypatch.delenv("BENCH_DATABASE_NAME", raising=False)

    env, name = bench_env(run_id="1")

    assert name == "dialogkonferanse_bench"
    assert env["DATABASE_URL"] == "postgres://app:pw@db.example:5433/dialogkonferanse_bench"
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DJANGO_BENCH_PROBE"] == "1"


def test_bench_env_refuses_a_database_name_without_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_DATABASE_NAME", "dialogkonferanse")

    with pytest.raises(RuntimeError, match="must be snake_case and contain 'bench'"):
        bench_env(run_id="1")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "bench").glob("*.py") if p.name != "__init__.py"),
    ids=lambda p: p.stem,
)
def test_every_bench_module_imports(path) -> None:
    """``make bench`` runs each module in a child process: a broken import there shows only
    as a crashed module, so every one is imported here."""
    importlib.import_module(f"bench.{path.stem}")
