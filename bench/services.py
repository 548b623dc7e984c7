"""Private PostgreSQL and Redis servers on free loopback ports, and the process helpers around them.

Used by the fault suite (``make faults``), which stops, flushes and kills its own servers, and by
``make test`` (``.ci/services.py``) on a machine where no PostgreSQL or Redis answers. Nothing
shared is touched: each cluster is a fresh ``initdb`` in a temporary directory (owned by the
``postgres`` user when run as root, since initdb refuses root), each Redis keeps nothing on disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ServiceError(RuntimeError):
    """A server could not be started or stopped, or a wait hit its bound."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def wait_for(
    predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.2
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ServiceError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def stop_process(process: subprocess.Popen[bytes] | None, *, group: bool = True) -> None:
    """SIGTERM (the whole process group when it has one of its own), then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        process.wait(timeout=10)


def _pg_bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if not candidates:
        raise ServiceError("initdb not found: install the PostgreSQL server package (postgresql)")
    return candidates[0].parent


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port; never the machine's own."""

    def __init__(self, *, prefix: str = "dk-pg-") -> None:
        self.bindir = _pg_bindir()
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        if self.as_root:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(self.base, user="postgres", group="postgres")

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise ServiceError(
                f"{' '.join(args[:1])} failed:\n{done.stdout}{done.stderr}\n{tail(self.log)}"
            )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        # pg_ctl starts the server in a session of its own: a Ctrl+C in the terminal does not
        # reach it, the owner stops it.
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(
        self, sql: str, params: tuple[Any, ...] = (), *, database: str = "postgres"
    ) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(ServiceError, subprocess.TimeoutExpired):
                self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own on a free port (no persistence), stopped and started at will."""

    def __init__(self, work_dir: Path) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise ServiceError("redis-server not found: install redis-server")
        self.binary = binary
        self.work_dir = work_dir
        self.port = free_port()
        self.log = work_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        cmd = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.log),
        ]  # fmt: skip
        self.process = subprocess.Popen(cmd, cwd=self.work_dir, start_new_session=True)
        wait_for(self.ping, timeout=20, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            client = redis.Redis(port=self.port, socket_connect_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except redis.RedisError:
            return False

    def flushdb(self, *dbs: int) -> None:
        """FLUSHDB on the given databases only; this server is ours, but never FLUSHALL."""
        import redis

        for db in dbs:
            client = redis.Redis(port=self.port, db=db, socket_connect_timeout=2)
            client.flushdb()
            client.close()

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
