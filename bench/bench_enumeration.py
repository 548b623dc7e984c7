"""Enumeration by timing: "register" and "resend my link" take as long for a registered address
as for an unknown one, in both configurations the app runs in.

``embedded``: the server exactly as ``make run`` starts it (uvicorn, ``DJANGO_DEBUG=1``, a
SQLite file, no broker so tasks run eagerly, mail written to files). ``broker``: the production
configuration of the other benchmarks (gunicorn with uvicorn workers, PostgreSQL, Redis as cache
and broker) with a real Celery worker sending the emails.

Each figure is measured through real HTTP requests (httpx against the server process), one at
a time on a kept-alive connection: after a warm-up, 100 pairs of a POST with the registered
address and one with a new unknown address, side by side in alternating order, with a pause
after each request so that work one request left behind (an email sent after the response, the
worker's task) is done before the next is timed. ``known_over_unknown`` is the median over the
pairs of known time / unknown time (pairs share the machine's load of the moment, which on a
shared machine moves either side's own median by 20 % from run to run). The figure is that
ratio or its inverse, whichever is larger: 1.0 means equal, and the target (at most 1.2) means
known and unknown are within 20 % of each other, whichever is slower. ``details`` also hold
each side's median.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import ROOT, BenchContext, BenchError, BenchResult, free_port, temp_dir
from tests.security import servers

BUDGET_SECONDS = 240

PAIRS = 100
WARMUP_PAIRS = 5
PAUSE_SECONDS = 0.08
TARGET = 1.2
KNOWN_EMAIL = "kjent@enumeration.example"
NO_LIMITS = {
    "REGISTRATION_RATE_LIMIT": "",
    "REGISTRATION_RESEND_RATE_LIMIT": "",
    "REGISTRATION_ADDRESS_RATE_LIMIT": "",
}
# What make run does not set: the embedded server gets none of the bench's production settings.
_NOT_EMBEDDED = (*servers.NOT_INHERITED, "SITE_URL")
_unknown = itertools.count(1)  # never registered: unique across the register and resend runs
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SETUP = """
from tests.factories import make_conference, make_registration
conference = make_conference(slug={slug!r})
make_registration(conference=conference, email={email!r})
"""


def _register_form(email: str) -> dict[str, str]:
    return {
        "organisation_name": "Tidtaker AS",
        "country": "NO",
        "organisation_number": "974760673",
        "contact_name": "Kari Nordmann",
        "email": email,
        "language": "nb",
        "privacy_acknowledged": "on",
    }


def _resend_form(email: str) -> dict[str, str]:
    return {"email": email}


def _measure(
    base_url: str, path: str, form: Callable[[str], dict[str, str]], label: str
) -> list[tuple[float, float]]:
    """(known, unknown) seconds of POSTs with the registered address and a new unknown one,
    taken side by side, in alternating order."""
    import httpx

    pairs: list[tuple[float, float]] = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        page = http.get(path)
        match = _CSRF_INPUT.search(page.text)
        if page.status_code != 200 or not match:
            raise BenchError(f"{label}: GET {path} gave {page.status_code} without a CSRF token")
        token = match.group(1)

        def post(side: str) -> float:
            email = KNOWN_EMAIL if side == "known" else f"ukjent-{next(_unknown)}@enum.example"
            data = {**form(email), "csrfmiddlewaretoken": token}
            started = time.perf_counter()
            response = http.post(path, data=data, headers={"Referer": base_url + path})
            elapsed = time.perf_counter() - started
            if response.status_code != 302:
                raise BenchError(f"{label}: POST {path} ({side}) gave {response.status_code}")
            time.sleep(PAUSE_SECONDS)  # let what the request left behind finish first
            return elapsed

        for i in range(WARMUP_PAIRS + PAIRS):
            order = ("known", "unknown") if i % 2 else ("unknown", "known")
            times = {side: post(side) for side in order}
            if i >= WARMUP_PAIRS:
                pairs.append((times["known"], times["unknown"]))
    return pairs


def _result(
    name: str, pairs: list[tuple[float, float]], configuration: str, how: str
) -> BenchResult:
    known_over_unknown = statistics.median(known / unknown for known, unknown in pairs)
    return BenchResult(
        name,
        round(max(known_over_unknown, 1 / known_over_unknown), 3),
        "ratio",
        "<=",
        TARGET,
        {
            "configuration": configuration,
            "measured": how,
            "known_over_unknown": round(known_over_unknown, 3),
            "known_median_ms": round(statistics.median(k for k, _u in pairs) * 1000, 2),
            "unknown_median_ms": round(statistics.median(u for _k, u in pairs) * 1000, 2),
            "pairs": len(pairs),
            "pause_seconds": PAUSE_SECONDS,
        },
    )


def _measure_both(base_url: str, slug: str, configuration: str, how: str) -> list[BenchResult]:
    register = _measure(
        base_url, f"/conferences/{slug}/register/", _register_form, f"{configuration} register"
    )
    resend = _measure(
        base_url, f"/conferences/{slug}/my-link/", _resend_form, f"{configuration} resend"
    )
    return [
        _result(f"enumeration_register_ratio_{configuration}", register, configuration, how),
        _result(f"enumeration_resend_ratio_{configuration}", resend, configuration, how),
    ]


# --- Embedded defaults (make run) --------------------------------------------------------------


def _embedded_env(work: Path, port: int) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_EMBEDDED)}
    return {
        **base,
        # The Makefile's RUN_ENV and the variables make run leaves at their defaults.
        "DJANGO_DEBUG": "1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "EMAIL_FILE_PATH": str(work / "mail"),
        "FORWARDED_ALLOW_IPS": "",
        "LOG_LEVEL": "WARNING",
        **NO_LIMITS,
    }


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"{what} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@contextmanager
def _embedded_server(work: Path) -> Iterator[str]:
    """uvicorn with the arguments of the Makefile's run target, on a free port."""
    port = free_port()
    env = _embedded_env(work, port)
    _run(["manage.py", "migrate", "--no-input", "-v0"], env, "migrate (SQLite)")
    _run(["-c", "import django; django.setup()\n" + _SETUP.format(
        slug="enumeration-embedded", email=KNOWN_EMAIL)], env, "test data (SQLite)")  # fmt: skip
    cmd = [
        sys.executable, "-m", "uvicorn", "dialogkonferanse.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
    ]  # fmt: skip
    try:
        with servers.serve(cmd, env, port=port, log_path=work / "server.log") as base:
            yield base
    except servers.ServerNotStarted as exc:
        raise BenchError(str(exc)) from exc


def run(ctx: BenchContext) -> list[BenchResult]:
    how = "real HTTP requests (httpx) against a server process"
    work = temp_dir("enumeration-")
    with _embedded_server(work) as base:
        results = _measure_both(base, "enumeration-embedded", "embedded", how)
    sent = len(list((work / "mail").glob("*")))
    if sent == 0:
        raise BenchError("embedded: no email was written to files")
    for result in results:
        result.details["mail_files"] = sent
    shutil.rmtree(work)  # kept only when the run failed

    ctx.django_setup()
    from tests.factories import make_conference, make_registration

    conference = make_conference(slug="enumeration-broker")
    make_registration(conference=conference, email=KNOWN_EMAIL)
    with ctx.start_worker(), ctx.start_server(extra_env=NO_LIMITS) as server:
        results += _measure_both(server.base_url, conference.slug, "broker", how)
    return results
