"""Which benchmarks a ``make bench`` run starts, and for how long (bench/run.py)."""

from __future__ import annotations

import json

from bench import run


def test_a_module_starts_when_its_usual_time_fits_and_stops_when_the_run_ends():
    # The last run took 100 s: 125 s (a quarter more) fit in 130 s left, and the module is
    # stopped when those 130 s are up, before its 210 s budget.
    assert run.time_allowed(210, 100.0, left=130) == 130
    assert run.time_allowed(210, 100.0, left=1000) == 210
    assert run.time_allowed(210, 100.0, left=120) is None
    # Never ran (or not at this scale): its whole budget must fit.
    assert run.time_allowed(210, None, left=200) is None
    assert run.time_allowed(210, None, left=210) == 210
    # A usual time above the budget asks no more than the budget.
    assert run.time_allowed(60, 500.0, left=60) == 60


def test_usual_times_come_from_the_last_run_at_the_same_scale(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "RESULTS_DIR", tmp_path)
    (tmp_path / "latest.json").write_text(
        json.dumps(
            {
                "scale": 1.0,
                "modules": {
                    "search": {"status": "ok", "seconds": 7.7},
                    "load": {"status": "timeout", "seconds": 660},
                    "qa": {"status": "skipped", "seconds": 0},
                },
            }
        )
    )

    assert run.usual_seconds(1.0) == {"search": 7.7}
    assert run.usual_seconds(0.2) == {}
    (tmp_path / "latest.json").write_text("not json")
    assert run.usual_seconds(1.0) == {}
