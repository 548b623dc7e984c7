"""The benchmark harness: a dedicated database, the app under its production server, a load
generator and the result type every ``bench/bench_*.py`` module returns.

The machine the benchmarks run on is shared and noisy, so targets are ratios against a
baseline measured in the same run (interleaved A B A B, medians), never absolute figures.
See bench/README.md for how to write a benchmark module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import operator
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = ROOT / "var" / "bench"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"
DEFAULT_DATABASE_NAME = "dialogkonferanse_bench"
# Not a secret: only the throw-away bench server on loopback uses it.
BENCH_SECRET_KEY = "bench-only-secret-key-7c1e9a4f2b6d8e0a3c5f7b9d1e3a5c7e9b1d3f5a"  # noqa: S105

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}


# For throughput comparisons: each request on a new connection, as from many visitors. With a few
# kept-alive connections, one of the server's two worker processes can end up holding most of
# them, which halves the rate of whichever side that happens to, at random (runs then alternate
# between two levels); new connections go to whichever worker is free to accept them.
PER_REQUEST_CONNECTION = {"Connection": "close"}


class BenchError(RuntimeError):
    """A benchmark could not be measured (server did not start, load tool failed, ...)."""


# --- Results ----------------------------------------------------------------------------------


@dataclasses.dataclass
class BenchResult:
    """One figure with its target; ``details`` holds the raw numbers behind it for the JSON."""

    name: str
    value: float
    unit: str
    op: str
    target: float
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {sorted(_OPS)}, not {self.op!r}")
        if not re.fullmatch(r"[a-z0-9_]+", self.name):
            raise ValueError(f"benchmark names are snake_case, not {self.name!r}")

    @property
    def passed(self) -> bool:
        return _OPS[self.op](self.value, self.target)

    def line(self) -> str:
        """The ``BENCH`` line other tools grep for; its format is fixed."""
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"BENCH {self.name} {_fmt(self.value)} {self.unit} "
            f"target {self.op}{_fmt(self.target)} {verdict}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


@dataclasses.dataclass
class LoadResult:
    """What one load run measured: throughput, errors and latency percentiles in ms."""

    path: str
    method: str
    concurrency: int
    duration: float
    requests: int
    errors: int
    rps: float
    latency_ms: dict[str, float]
    tool: str

    @property
    def p95_ms(self) -> float:
        return self.latency_ms["p95"]


@dataclasses.dataclass
class Comparison:
    """Medians of interleaved subject/baseline runs and their ratio (subject / baseline)."""

    ratio: float
    subject_rps: float
    baseline_rps: float
    subject_runs: list[LoadResult]
    baseline_runs: list[LoadResult]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.subject_runs + self.baseline_runs)

    def details(self) -> dict[str, Any]:
        """Raw figures for latest.json: per-round requests/s and median p50/p95 latencies."""

        def summary(runs: list[LoadResult]) -> dict[str, Any]:
            return {
                "path": runs[0].path,
                "method": runs[0].method,
                "rps_runs": [round(r.rps, 1) for r in runs],
                "rps_median": round(statistics.median(r.rps for r in runs), 1),
                "p50_ms_median": round(statistics.median(r.latency_ms["p50"] for r in runs), 2),
                "p95_ms_median": round(statistics.median(r.p95_ms for r in runs), 2),
                "errors": sum(r.errors for r in runs),
                "concurrency": runs[0].concurrency,
                "seconds_per_run": runs[0].duration,
                "tool": runs[0].tool,
            }

        return {"subject": summary(self.subject_runs), "baseline": summary(self.baseline_runs)}


# --- Load generation --------------------------------------------------------------------------

# wrk runs one Lua state per thread. ``{n}`` in the body becomes "<run>-<thread>-<counter>" so
# every POST is unique, within a run and across runs (unique email addresses and the like).
# ``done`` prints the figures as JSON.
_WRK_SCRIPT = r"""
wrk.method = os.getenv("BENCH_METHOD")
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end
local body_template = os.getenv("BENCH_BODY") or ""
local run_id = os.getenv("BENCH_RUN") or ""
local thread_count = 0
local counter = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

if string.find(body_template, "{n}", 1, true) then
  -- Only a unique body needs a request() per call; otherwise wrk reuses one static request.
  function request()
    counter = counter + 1
    local unique = run_id .. tostring(thread_id) .. "-" .. tostring(counter)
    return wrk.format(nil, nil, nil, string.gsub(body_template, "{n}", unique))
  end
elseif body_template ~= "" then
  wrk.body = body_template
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\"requests\": %d, \"duration_us\": %d, \"errors_status\": %d, " ..
    "\"errors_socket\": %d, \"p50\": %d, \"p90\": %d, \"p95\": %d, \"p99\": %d, " ..
    "\"max\": %d, \"mean\": %f}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def ensure_wrk() -> str | None:
    """Path to ``wrk``; installs the Debian package when missing and we may (root, apt)."""
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_INSTALL") == "1":
        return found
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("bench: wrk not found, installing it with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        ):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"bench: {' '.join(cmd)} failed:\n{done.stderr[-2000:]}", flush=True)
                return None
    return shutil.which("wrk")


def web_concurrency() -> int:
    """Web worker processes as deployed: ``WEB_CONCURRENCY``, else two per core (with one per
    core, a process that took more than its share of a burst's connections keeps them on a
    busy core while the other waits)."""
    return int(os.environ.get("WEB_CONCURRENCY") or 0) or 2 * (os.cpu_count() or 1)


# The email worker as deployed (docker-compose's worker-email): a thread pool, since a send task
# mostly waits on the database and the mail server. Prefork would hand every task from the
# parent to a child process, about 5 ms of CPU per one-email task.
EMAIL_WORKER = {"pool": "threads", "concurrency": 8}


def run_wrk(
    wrk: str,
    url: str,
    *,
    method: str,
    concurrency: int,
    duration: float,
    body: str = "",
    headers: Mapping[str, str] | None = None,
    threads: int = 1,
) -> LoadResult:
    """One wrk run; non-2xx/3xx responses and socket errors both count as errors."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    script = WORK_DIR / "load.lua"
    script.write_text(_WRK_SCRIPT)
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_BODY": body,
        # {n} is unique across runs too: each run's submissions are new, not repeats of the last.
        "BENCH_RUN": f"r{secrets.token_hex(3)}-",
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
    }
    seconds = max(1, round(duration))
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{max(concurrency, threads)}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    match = re.search(r"^BENCHJSON (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not match:
        raise BenchError(
            f"wrk failed ({done.returncode}): {done.stdout[-800:]}{done.stderr[-800:]}"
        )
    data = json.loads(match.group(1))
    elapsed = data["duration_us"] / 1e6
    return LoadResult(
        path=urlsplit(url).path,
        method=method,
        concurrency=concurrency,
        duration=seconds,
        requests=data["requests"],
        errors=data["errors_status"] + data["errors_socket"],
        rps=data["requests"] / elapsed if elapsed else 0.0,
        latency_ms={k: data[k] / 1000 for k in ("p50", "p90", "p95", "p99", "max", "mean")},
        tool="wrk",
    )


def run_python_load(
    url: str,
    *,
    method: str,
    concurrency: int,
    duration: float,
    body: str = "",
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """Fallback load generator (asyncio + httpx) for machines without wrk; noisier, slower."""
    import asyncio

    latencies: list[float] = []
    errors = 0
    run = f"r{secrets.token_hex(3)}-"  # {n} unique across runs too, as with wrk

    async def client(worker: int) -> None:
        nonlocal errors
        counter = 0
        async with httpx.AsyncClient(headers=dict(headers or {}), timeout=10) as http:
            while time.monotonic() < stop:
                counter += 1
                content = body.replace("{n}", f"{run}{worker}-{counter}")
                started = time.perf_counter()
                try:
                    response = await http.request(method, url, content=content or None)
                    if response.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

    async def main() -> None:
        await asyncio.gather(*(client(i) for i in range(concurrency)))

    started = time.monotonic()
    stop = started + duration
    asyncio.run(main())
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return LoadResult(
        path=urlsplit(url).path,
        method=method,
        concurrency=concurrency,
        duration=duration,
        requests=len(latencies),
        errors=errors,
        rps=len(latencies) / elapsed,
        latency_ms={
            "p50": pct(50),
            "p90": pct(90),
            "p95": pct(95),
            "p99": pct(99),
            "max": ordered[-1],
            "mean": statistics.fmean(ordered),
        },
        tool="python-httpx",
    )


# --- The app under its production server ------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def smtp_process(
    module: str, port: int, work_dir: Path, *extra_args: str
) -> Iterator[dict[str, int]]:
    """``python -m <module> serve <port> <stats file> [extra_args]``: an SMTP server process of
    a benchmark module, which touches ``<stats file>.ready`` once listening and writes its
    counts as JSON to the stats file at SIGTERM. The yielded dict is filled with them at exit.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    stats_path = work_dir / f"smtp-{module.rsplit('.', 1)[-1]}-{os.getpid()}-{port}.json"
    ready_path = Path(f"{stats_path}.ready")
    stats_path.unlink(missing_ok=True)
    ready_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", module, "serve", str(port), str(stats_path), *extra_args]
    process = subprocess.Popen(cmd, cwd=ROOT)
    stats: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 20
        while not ready_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP server process of {module} did not start")
            time.sleep(0.05)
        yield stats
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        ready_path.unlink(missing_ok=True)
        if stats_path.exists():
            stats.update(json.loads(stats_path.read_text()))
            stats_path.unlink()


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclasses.dataclass
class Server:
    """A running app server on loopback; load helpers measure against it."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ctx: BenchContext

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """A single request (checks, fetching tokens); not for measuring."""
        return httpx.get(self.url(path), timeout=10, **kwargs)

    def csrf(self, path: str) -> tuple[str, str]:
        """(cookie secret, form token) from a GET of ``path``; both stay valid for reuse."""
        response = self.get(path)
        response.raise_for_status()
        cookie = response.cookies.get("csrftoken")
        match = _CSRF_INPUT.search(response.text)
        if not cookie or not match:
            raise BenchError(f"no CSRF cookie/token in GET {path} (status {response.status_code})")
        return cookie, match.group(1)

    def load_get(
        self,
        path: str,
        *,
        concurrency: int = 8,
        duration: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> LoadResult:
        """Requests/s and latency of GET ``path`` for ``duration`` seconds (scaled)."""
        return self.ctx.load(
            self.url(path), method="GET", concurrency=concurrency, duration=duration,
            headers=headers,
        )  # fmt: skip

    def load_post(
        self,
        path: str,
        form: Mapping[str, str],
        *,
        concurrency: int = 8,
        duration: float = 5.0,
        csrf_path: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> LoadResult:
        """POST ``form`` urlencoded with a valid CSRF token; ``{n}`` in a value is unique per
        request. The token comes from a GET of ``csrf_path`` (default: ``path``)."""
        cookie, token = self.csrf(csrf_path or path)
        # urlencode escapes the placeholder; the load tools look for it unescaped.
        body = urlencode({**form, "csrfmiddlewaretoken": token}).replace("%7Bn%7D", "{n}")
        all_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Referer": self.url(csrf_path or path),
            **(headers or {}),
        }
        return self.ctx.load(
            self.url(path), method="POST", concurrency=concurrency, duration=duration,
            body=body, headers=all_headers,
        )  # fmt: skip


@dataclasses.dataclass
class Worker:
    """A running Celery worker consuming the bench queue."""

    process: subprocess.Popen[bytes]
    log_path: Path
    queue: str


def _stop(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# --- The context ------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclasses.dataclass
class BenchContext:
    """Everything a benchmark module needs; created by bench/run.py and passed to ``run(ctx)``.

    ``env`` is the complete environment of the bench app (database, Redis, production
    settings, the probe app); ``scale`` multiplies every load duration (``--scale``).
    """

    env: dict[str, str]
    database_name: str
    static_root: Path
    scale: float = 1.0
    deadline: float = float("inf")
    wrk: str | None = None
    module: str = ""
    sequence_start: int = 1
    _django_ready: bool = False

    # -- time --

    def seconds(self, duration: float) -> float:
        """A load duration scaled by ``--scale`` (at least one second)."""
        return max(1.0, duration * self.scale)

    def time_left(self) -> float:
        """Seconds left of this module's budget; long benchmarks shorten their runs by it."""
        return self.deadline - time.monotonic()

    # -- Django in this process --

    def django_setup(self) -> None:
        """Configure Django in this process against the bench database (idempotent).

        Use it to create data (``tests.factories``) and to count queries with the test
        ``Client`` (host ``testserver`` is allowed).
        """
        if self._django_ready:
            return
        os.environ.update(self.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        self._django_ready = True
        self._offset_factory_sequence()

    def _offset_factory_sequence(self) -> None:
        """Each module runs in a fresh process on the same database, so the test factories'
        counter would restart at 1 and collide with names made by earlier modules."""
        import itertools

        try:
            from tests import factories
        except ImportError:
            return
        if hasattr(factories, "_seq"):
            factories._seq = itertools.count(self.sequence_start)

    # -- processes --

    def _process_env(self, extra_env: Mapping[str, str] | None) -> dict[str, str]:
        return {**os.environ, **self.env, **(extra_env or {})}

    @contextlib.contextmanager
    def start_server(
        self,
        *,
        workers: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 40.0,
    ) -> Iterator[Server]:
        """gunicorn with uvicorn workers (the production configuration) on a free loopback port.

        Waits until ``/healthz`` answers 200; stops the server (SIGTERM, then SIGKILL) on exit.
        ``workers`` defaults to ``web_concurrency()``: two per core, as the Dockerfile and
        docker-compose.yml advise (``WEB_CONCURRENCY`` overrides it).
        """
        port = free_port()
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        log_path = WORK_DIR / f"{self.module or 'bench'}-server-{port}.log"
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "dialogkonferanse.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            str(workers or web_concurrency()),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "--error-logfile",
            "-",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                cmd, cwd=ROOT, env=self._process_env(extra_env), stdout=log, stderr=log
            )
        server = Server(f"http://127.0.0.1:{port}", process, log_path, self)
        try:
            self._wait_healthy(server, startup_timeout)
            yield server
        finally:
            _stop(process)

    @staticmethod
    def _wait_healthy(server: Server, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchError(
                    f"server exited with {server.process.returncode}:\n{_tail(server.log_path)}"
                )
            try:
                response = server.get("/healthz")
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise BenchError(f"server not healthy after {timeout}s ({last}):\n{_tail(server.log_path)}")

    @contextlib.contextmanager
    def start_worker(
        self,
        *,
        concurrency: int = 1,
        pool: str = "prefork",
        queue: str = "",
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 40.0,
    ) -> Iterator[Worker]:
        """A Celery worker on the bench broker and the bench queue (or ``queue``); stopped on
        exit."""
        env = self._process_env(extra_env)
        queue = queue or env["CELERY_TASK_DEFAULT_QUEUE"]
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        log_path = WORK_DIR / f"{self.module or 'bench'}-worker-{os.getpid()}-{queue}.log"
        cmd = [
            sys.executable, "-m", "celery", "-A", "dialogkonferanse", "worker",
            "--queues", queue, "--pool", pool, "--concurrency", str(concurrency),
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"bench-{os.getpid()}-{queue}@%h",
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + startup_timeout
            while " ready." not in _tail(log_path, 20000):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(f"Celery worker did not start:\n{_tail(log_path)}")
                time.sleep(0.2)
            yield Worker(process, log_path, queue)
        finally:
            _stop(process, grace=15)

    # -- measuring --

    def load(
        self,
        url: str,
        *,
        method: str = "GET",
        concurrency: int = 8,
        duration: float = 5.0,
        body: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> LoadResult:
        """One load run against a full URL with wrk (or the Python fallback)."""
        seconds = self.seconds(duration)
        if self.wrk:
            return run_wrk(
                self.wrk, url, method=method, concurrency=concurrency, duration=seconds,
                body=body, headers=headers,
            )  # fmt: skip
        return run_python_load(
            url, method=method, concurrency=concurrency, duration=seconds, body=body,
            headers=headers,
        )  # fmt: skip

    def compare(
        self,
        subject: Callable[[], LoadResult],
        baseline: Callable[[], LoadResult],
        *,
        rounds: int = 3,
        warmup: bool = True,
    ) -> Comparison:
        """Interleave baseline and subject (B A B A ...) and compare median requests/s.

        Interleaving spreads the machine's background noise over both sides; the ratio is
        subject / baseline. A warm-up run of each comes first and is discarded.
        """
        if warmup:
            baseline()
            subject()
        subject_runs: list[LoadResult] = []
        baseline_runs: list[LoadResult] = []
        for _ in range(rounds):
            baseline_runs.append(baseline())
            subject_runs.append(subject())
        subject_rps = statistics.median(r.rps for r in subject_runs)
        baseline_rps = statistics.median(r.rps for r in baseline_runs)
        ratio = subject_rps / baseline_rps if baseline_rps else 0.0
        return Comparison(ratio, subject_rps, baseline_rps, subject_runs, baseline_runs)

    # -- serialisation between the runner and its per-module child processes --

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["static_root"] = str(self.static_root)
        data.pop("_django_ready")
        data["deadline"] = None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, *, module: str, budget: float, index: int = 0) -> BenchContext:
        data = json.loads(text)
        data.update(
            static_root=Path(data["static_root"]),
            module=module,
            deadline=time.monotonic() + budget,
            sequence_start=(index + 1) * 1_000_000,
        )
        return cls(**data)


# --- Preparing a run --------------------------------------------------------------------------


def bench_env(*, run_id: str) -> tuple[dict[str, str], str]:
    """The bench app's environment and database name.

    Server and credentials come from ``DATABASE_URL``; the database name is always
    ``BENCH_DATABASE_NAME`` (default dialogkonferanse_bench) and must contain "bench", because
    the harness drops it: a ``DATABASE_URL`` pointing at real data is never touched.
    """
    name = os.environ.get("BENCH_DATABASE_NAME", DEFAULT_DATABASE_NAME)
    if "bench" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise BenchError(f"BENCH_DATABASE_NAME must be snake_case and contain 'bench': {name!r}")
    database_url = _with_database(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), name)
    static_root = WORK_DIR / "static"
    env = {
        "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_MANIFEST": "1",
        "DJANGO_STATIC_ROOT": str(static_root),
        "SERVESTATIC_USE_FINDERS": "0",
        "DJANGO_BENCH_PROBE": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER_URL),
        # A queue of its own, so a worker left running elsewhere never takes bench tasks.
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{run_id}",
        "CACHE_KEY_PREFIX": f"bench-{run_id}",
        # As deployed: X-Forwarded-For is believed from no one (gunicorn and uvicorn read it too).
        "FORWARDED_ALLOW_IPS": "",
        "EMAIL_HOST": "",
        "EMAIL_FILE_PATH": str(WORK_DIR / "mail"),
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "http://127.0.0.1:8000",
    }
    return env, name


def recreate_database(env: Mapping[str, str], name: str) -> str:
    """Drop and create the bench database; returns the PostgreSQL server version."""
    import psycopg

    parts = urlsplit(env["DATABASE_URL"])
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        version = conn.execute("SHOW server_version").fetchone()
    return str(version[0]) if version else "unknown"


def manage(env: Mapping[str, str], *args: str, timeout: float = 300) -> None:
    """``manage.py`` in a child process with the bench environment; raises on failure."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def prepare(*, scale: float = 1.0) -> tuple[BenchContext, dict[str, Any]]:
    """Fresh database, migrations, collected static files; returns the context and machine facts."""
    run_id = f"{os.getpid()}-{int(time.time())}"
    env, name = bench_env(run_id=run_id)
    static_root = Path(env["DJANGO_STATIC_ROOT"])
    shutil.rmtree(static_root, ignore_errors=True)
    pg_version = recreate_database(env, name)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    ctx = BenchContext(
        env=env, database_name=name, static_root=static_root, scale=scale, wrk=ensure_wrk()
    )
    return ctx, machine_facts(pg_version=pg_version, env=env, wrk=ctx.wrk)


def cleanup(ctx: BenchContext) -> None:
    """Remove the run's queued tasks from the broker; the database stays for inspection."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(ctx.env["CELERY_BROKER_URL"], socket_connect_timeout=2)
        queue = ctx.env["CELERY_TASK_DEFAULT_QUEUE"]
        client.delete(queue, f"{queue}-email")  # and the email queue bench_load routes to
        client.close()


def machine_facts(*, pg_version: str, env: Mapping[str, str], wrk: str | None) -> dict[str, Any]:
    """Where the figures came from: they only compare with figures from a similar machine."""
    import platform

    import django
    import redis

    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpu = re.search(r"^model name\s*:\s*(.+)$", read("/proc/cpuinfo"), re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", read("/proc/meminfo"), re.MULTILINE)
    redis_version = "unknown"
    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(env["REDIS_URL"], socket_connect_timeout=2)
        redis_version = str(client.info("server").get("redis_version", "unknown"))
        client.close()
    wrk_version = None
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        wrk_version = (out.stdout or out.stderr).split(" Copyright")[0].strip()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "cpu_model": cpu.group(1).strip() if cpu else platform.processor() or None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "redis": redis_version,
        "load_tool": wrk_version or "python-httpx",
    }


def temp_dir(prefix: str = "bench-") -> Path:
    """A scratch directory under var/bench (kept for inspection after a failed run)."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=WORK_DIR))
