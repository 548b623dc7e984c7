"""The app's servers started the way the project starts them, on a free loopback port and the
test database: ``make run``'s uvicorn line (as ``make -n run`` prints it) and the Dockerfile's
gunicorn ``CMD`` with the Dockerfile's ``ENV``. For tests of what the server itself does
(forwarded headers, when a response leaves)."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# Settings of the test process that neither make run nor the image would have.
NOT_INHERITED = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_URL",
    "CELERY_",
    "EMAIL_",
    "SERVESTATIC_",
    "CACHE_KEY_PREFIX",
    "FORWARDED_ALLOW_IPS",
    "RATE_LIMIT_",
    "REGISTRATION_",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _assignments(words: list[str]) -> dict[str, str]:
    """Leading ``NAME=value`` words of a shell command, removed from ``words``."""
    env = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env


def makefile_run(port: int, forwarded_allow_ips: str = "") -> tuple[list[str], dict[str, str]]:
    """The uvicorn command of ``make run`` and the variables it sets, for ``port``."""
    make = ["make", "--no-print-directory", "-n", "run", f"PORT={port}"]
    make.append(f"FORWARDED_ALLOW_IPS={forwarded_allow_ips}")
    done = subprocess.run(  # noqa: S603 - make, with our own arguments
        make, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    line = next(line for line in done.stdout.splitlines() if "/uvicorn " in line)
    words = shlex.split(line)
    env = _assignments(words)
    return [str(ROOT / words[0]), *words[1:]], env


def dockerfile_cmd(port: int) -> tuple[list[str], dict[str, str]]:
    """The Dockerfile's ``CMD`` bound to ``127.0.0.1:port``, and its ``ENV``."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for match in re.finditer(r"^ENV\s+(.+)$", text, re.MULTILINE):
        env.update(_assignments(shlex.split(match.group(1))))
    cmd = json.loads(re.search(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE).group(1))
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    assert cmd[0] == "gunicorn", cmd
    return [sys.executable, "-m", "gunicorn", *cmd[1:]], env


class ServerNotStarted(RuntimeError):
    """The server exited or did not answer ``/healthz`` in time; the message has its log."""


@contextmanager
def serve(cmd: list[str], env: dict[str, str], *, port: int, log_path: Path) -> Iterator[str]:
    """Run ``cmd`` until ``/healthz`` answers 200; yields the base URL; stops it on exit."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
    base_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and servers
            cmd, cwd=ROOT, env={**base_env, **env}, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            if process.poll() is not None:
                raise ServerNotStarted(f"server exited:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerNotStarted(f"server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def makefile_server(
    tmp_path: Path, *, forwarded_allow_ips: str = "", env: dict[str, str] | None = None
) -> Iterator[str]:
    """``make run``'s server (debug, eager tasks, mail to files) on the test database."""
    port = free_port()
    cmd, make_env = makefile_run(port, forwarded_allow_ips)
    app_env = {
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "0",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **(env or {}),
        **make_env,  # what the Makefile sets wins, as on its command line
    }
    with serve(cmd, app_env, port=port, log_path=tmp_path / "uvicorn.log") as base:
        yield base


@contextmanager
def dockerfile_server(
    tmp_path: Path, *, forwarded_allow_ips: str | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """The image's server with docker-compose's services (PostgreSQL, Redis as cache and
    broker) on loopback; plain HTTP and static files from the finders, as nothing was
    collected."""
    port = free_port()
    cmd, image_env = dockerfile_cmd(port)
    app_env = {
        **image_env,
        "DJANGO_SECRET_KEY": "test-only-secret-key-for-the-image-server-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_MANIFEST": "0",
        "SERVESTATIC_USE_FINDERS": "1",
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "0",
        # The cache on the broker's Redis database: the suite clears the cache's database at
        # the start of every test (another test process may do so while this server counts).
        "REDIS_URL": os.environ["CELERY_BROKER_URL"],
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **(env or {}),
    }
    if forwarded_allow_ips is not None:  # as docker-compose passes it on
        app_env["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    with serve(cmd, app_env, port=port, log_path=tmp_path / "gunicorn.log") as base:
        yield base
