"""Run a command with PostgreSQL and Redis for the tests (``make test`` runs both pytest runs so).

The configured servers (``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` from the
environment, else the test defaults in ``pyproject.toml``) are used when they answer and let the
tests in. When one does not, a private server is started on a free loopback port (the fault
suite's, from ``bench/services.py``), the command gets URLs pointing at it, and the server is
stopped when the command ends: on success, failure, Ctrl+C or SIGTERM alike.

    .venv/bin/python .ci/services.py COMMAND [ARG...]
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import PrivatePostgres, PrivateRedis, ServiceError  # noqa: E402

URL_NAMES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


def say(message: str) -> None:
    print(f"services: {message}", flush=True)


def configured_urls() -> dict[str, str]:
    """Each URL from the environment, else the test default pytest would use."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        defaults = tomllib.load(file)["tool"]["pytest_env"]
    urls = {}
    for name in URL_NAMES:
        default = defaults.get(name, "")
        urls[name] = os.environ.get(name) or (
            default["value"] if isinstance(default, dict) else default
        )
    return urls


def where(url: str) -> str:
    """Host and port of a URL, for messages (never its password)."""
    parts = urlsplit(url)
    try:
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or url)
    except ValueError:
        return url.split("@")[-1]


def postgres_answers(url: str) -> bool:
    """Does the server log us in, as the tests will (to the ``postgres`` database)?

    A freshly installed Debian server answers on 5432 but asks for a password over TCP; for the
    tests that is as good as none, and a private cluster serves them instead.
    """
    import psycopg

    try:
        psycopg.connect(url, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        say(f"PostgreSQL at {where(url)}: {str(exc).strip().splitlines()[0]}")
        return False
    return True


def redis_answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:  # ValueError: not a Redis URL
        say(f"Redis at {where(url)}: {exc}")
        return False
    return True


def database_index(url: str) -> int:
    """The Redis database number of a URL (``/1`` → 1), so private URLs keep them apart."""
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def run(command: list[str], env: dict[str, str]) -> int:
    """The command's exit status; SIGTERM and SIGHUP are passed on to it.

    A Ctrl+C reaches the command from the terminal by itself; here it only must not cut the
    wait short, so the servers are stopped after the command has finished its own clean-up.
    """
    process = subprocess.Popen(command, env=env)  # noqa: S603 - the Makefile's command
    previous = {
        signum: signal.signal(signum, lambda signum, _frame: process.send_signal(signum))
        for signum in (signal.SIGTERM, signal.SIGHUP)
    }
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        status = process.wait()
        return 128 - status if status < 0 else status  # killed by a signal: as a shell says it
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    # Until the command runs, SIGTERM unwinds like Ctrl+C: whatever was started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    urls = configured_urls()
    env = dict(os.environ)
    try:
        with contextlib.ExitStack() as cleanup:
            if not postgres_answers(urls["DATABASE_URL"]):
                say("starting a private PostgreSQL")
                postgres = PrivatePostgres(prefix="dk-test-pg-")
                cleanup.callback(postgres.destroy)
                cleanup.callback(say, f"stopping the private PostgreSQL on :{postgres.port}")
                postgres.init()
                postgres.start()
                configured = urlsplit(urls["DATABASE_URL"])
                name = (
                    configured.path.strip("/") if configured.scheme.startswith("postgres") else ""
                )
                env["DATABASE_URL"] = postgres.url(name or "dialogkonferanse")
            silent = [n for n in ("REDIS_URL", "CELERY_BROKER_URL") if not redis_answers(urls[n])]
            if silent:
                say("starting a private Redis")
                work_dir = Path(tempfile.mkdtemp(prefix="dk-test-redis-"))
                cleanup.callback(shutil.rmtree, work_dir, ignore_errors=True)
                redis = PrivateRedis(work_dir)
                cleanup.callback(redis.stop)
                cleanup.callback(say, f"stopping the private Redis on :{redis.port}")
                redis.start()
                for name in silent:
                    env[name] = redis.url(database_index(urls[name]))
            for name in URL_NAMES:
                if env.get(name) != os.environ.get(name):
                    say(f"{name}={env[name]}")
            return run(argv, env)
    except ServiceError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
