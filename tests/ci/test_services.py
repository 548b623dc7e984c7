"""``.ci/services.py``, which gives ``make test`` its PostgreSQL and Redis: the configured ones
when they answer, otherwise private ones that are gone again when the command ends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SERVICES = ROOT / ".ci" / "services.py"
URL_NAMES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
# Run by the wrapper: which URLs it got, and whether PostgreSQL and Redis answer on them.
PROBE = """
import json, os, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"], dbname="postgres", connect_timeout=5) as conn:
    database = conn.execute("select 1").fetchone()[0]
pings = [redis.Redis.from_url(os.environ[n]).ping() for n in ("REDIS_URL", "CELERY_BROKER_URL")]
urls = {n: os.environ[n] for n in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
print(json.dumps({"urls": urls, "database": database, "pings": pings}))
"""


def refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def run_with_services(**urls: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(SERVICES), sys.executable, "-c", PROBE],
        env={**os.environ, **urls},
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return done, json.loads(lines[0]) if lines else {}


def test_services_pass_configured_servers_through_when_they_answer():
    urls = {name: os.environ[name] for name in URL_NAMES}

    done, probe = run_with_services(**urls)

    assert done.returncode == 0, done.stderr
    assert probe == {"urls": urls, "database": 1, "pings": [True, True]}
    assert done.stdout.splitlines()[:-1] == []  # nothing started, nothing said


def test_services_start_private_servers_when_none_answer_and_stop_them():
    dead_pg, dead_redis = refused_port(), refused_port()
    urls = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_pg}/dk_private",
        "REDIS_URL": f"redis://127.0.0.1:{dead_redis}/3",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{dead_redis}/4",
    }

    done, probe = run_with_services(**urls)

    assert done.returncode == 0, done.stdout + done.stderr
    assert probe["database"] == 1
    assert probe["pings"] == [True, True]
    got = {name: probe["urls"][name] for name in URL_NAMES}
    pg_port = int(got["DATABASE_URL"].split(":")[-1].split("/")[0])
    redis_port = int(got["REDIS_URL"].split(":")[-1].split("/")[0])
    assert got == {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/dk_private",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/3",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/4",
    }
    assert (listens(pg_port), listens(redis_port)) == (False, False)
    assert f"services: stopping the private PostgreSQL on :{pg_port}\n" in done.stdout
    assert f"services: stopping the private Redis on :{redis_port}\n" in done.stdout


def test_services_pass_the_command_status_on():
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(SERVICES), sys.executable, "-c", "raise SystemExit(7)"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 7
