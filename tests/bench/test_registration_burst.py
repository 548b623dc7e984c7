"""The registration burst's own logic: schedule, percentile, parameters and the delivery tally.

The module itself needs a migrated bench database with collected static files, the production
server, a Celery worker and the SMTP sink (``bench/run.py -k registration_burst --scale 0.05``
is its smoke run, about two minutes with preparation), so the test suite covers the parts that
decide its figures.
"""

from __future__ import annotations

import pytest

from bench.bench_registration_burst import parameters, percentile, schedule, tally_deliveries
from bench.harness import BenchError


def test_schedule_spaces_starts_evenly_at_the_rate() -> None:
    starts = schedule(5, 2)

    assert starts == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8]


def test_schedule_of_the_default_burst_offers_2400() -> None:
    starts = schedule(40, 60)

    assert len(starts) == 2400
    assert starts[-1] == 2399 / 40


@pytest.mark.parametrize(
    ("p", "expected"),
    [(50, 50.0), (95, 95.0), (99, 99.0), (100, 100.0), (1, 1.0)],
)
def test_percentile_is_nearest_rank(p: float, expected: float) -> None:
    values = [float(v) for v in range(100, 0, -1)]

    assert percentile(values, p) == expected


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 95) == 0.0


def test_parameters_default_to_40_per_second_for_60_seconds_scaled() -> None:
    assert parameters({}, 1.0) == (40.0, 60.0)
    assert parameters({}, 0.05) == (40.0, 3.0)


def test_parameters_come_from_the_environment() -> None:
    environ = {"BENCH_REGISTRATION_BURST_RATE": "5", "BENCH_REGISTRATION_BURST_SECONDS": "2"}

    assert parameters(environ, 1.0) == (5.0, 2.0)


def test_parameters_refuse_a_zero_rate() -> None:
    with pytest.raises(BenchError, match="must be positive"):
        parameters({"BENCH_REGISTRATION_BURST_RATE": "0"}, 1.0)


def _arrival(message_id: str, to: str, t: float) -> dict[str, object]:
    return {"id": message_id, "to": [to], "t": t}


def test_tally_counts_each_supplier_once_within_the_window() -> None:
    expected = {"a@x.example", "b@x.example", "c@x.example", "d@x.example"}
    arrivals = [
        _arrival("<1@x>", "a@x.example", 1000.5),
        _arrival("<2@x>", "B@x.example", 1100.0),  # addresses compare case-insensitively
        _arrival("<3@x>", "c@x.example", 1121.0),  # after the 120 s window
        _arrival("<9@x>", "warmup@x.example", 999.0),
    ]

    tally = tally_deliveries(arrivals, expected, start=1000.0, window=120.0)

    assert tally == {
        "expected": 4,
        "received": 3,
        "delivered_within": 2,
        "late": 1,
        "missing": 1,
        "duplicates": 0,
        "message_id_copies_beyond_one": 0,
        "unexpected_recipients": 1,
    }


def test_tally_counts_a_second_copy_or_a_second_email_as_duplicate_and_not_delivered() -> None:
    expected = {"a@x.example", "b@x.example", "c@x.example"}
    arrivals = [
        _arrival("<1@x>", "a@x.example", 1001.0),
        _arrival("<1@x>", "a@x.example", 1002.0),  # the same Message-ID again
        _arrival("<2@x>", "b@x.example", 1003.0),
        _arrival("<2b@x>", "b@x.example", 1004.0),  # a second email to the same supplier
        _arrival("<3@x>", "c@x.example", 1005.0),
    ]

    tally = tally_deliveries(arrivals, expected, start=1000.0, window=120.0)

    assert (tally["delivered_within"], tally["duplicates"]) == (1, 2)
    assert tally["message_id_copies_beyond_one"] == 1
