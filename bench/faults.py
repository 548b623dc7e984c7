"""The fault suite (``make faults``): the email outbox and the app under the faults of a real day.

Six cases, each against real processes the suite starts and stops itself:

``email``     1,000 emails queued in one transaction through the outbox; while a Celery worker
              (prefork) delivers them to an SMTP server, the worker's process group is
              SIGKILLed three times (and restarted), Redis is flushed once (FLUSHDB on the broker
              and cache databases) and every PostgreSQL connection of the app is terminated
              once. Proof: every one of the 1,000 Message-IDs arrives, none more than twice, at
              most one duplicate per fault that can interrupt a send (a SIGKILL or the
              connection kill), and every outbox row ends ``sent``.
``email2``    1,000 emails drain through two workers on one queue; each is SIGKILLed once
              mid-drain and started again. Proof: none lost, both workers sent, at most one
              duplicate per kill and pool process (the README's bound).
``redis``     Redis stopped: a supplier still registers through the real HTTP view (gunicorn
              with uvicorn workers, the production server) and the row is stored; Redis
              started again: the confirmation email arrives (the beat sweep re-dispatches it).
``postgres``  PostgreSQL stopped under the running app: ``/healthz`` answers 503 and pages
              answer an error within a bound instead of hanging; PostgreSQL started again:
              ``/healthz`` answers 200 again without restarting the app.
``redis_stream``  200 viewer and 2 moderator event streams open while questions are approved;
              Redis stopped for 12 s and started again empty, questions asked meanwhile.
              Proof: every stream ends with every stored event once (by event id), events of
              the outage came from the stored events, each question stored and shown once.
``node_loss`` 1,000 viewer and 4 moderator streams through nginx in front of two web nodes
              (bench/cluster.py); one node SIGKILLed while questions are approved and asked.
              Proof: every stream cut off reconnects through the proxy within 10 s and resumes
              from Last-Event-ID with nothing lost or doubled; each question stored and shown
              once; the moderator dashboard (Chromium) shows "reconnecting" and recovers.

The stream cases use the lean SSE client of bench/sse_client.py (reconnecting as EventSource
does) and raise the open-file limit for their thousands of sockets.

Isolation: nothing shared is touched. The suite runs its own throw-away PostgreSQL cluster
(``initdb`` on a free port in a temporary directory, as the ``postgres`` user when run as
root) and its own ``redis-server`` on a free port, so flushing, stopping and killing affect
nobody else on the machine. Everything is stopped on exit, failures included.

Prints one line per figure::

    FAULT <name> <value> <unit> target <op><target> PASS|FAIL

writes them to bench/results/faults.json and exits 1 when a figure FAILs or a case crashes.

    .venv/bin/python bench/faults.py              # all cases (about 6-10 minutes)
    .venv/bin/python bench/faults.py -k email     # a subset (comma-separated case names)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import json
import operator
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import (  # noqa: E402
    PrivatePostgres,
    PrivateRedis,
    free_port,
    stop_process,
    tail,
    wait_for,
)

# A case that cannot be run fails like a server that cannot start: one error type for both.
from bench.services import ServiceError as FaultError  # noqa: E402

WORK_DIR = ROOT / "var" / "faults"
RESULTS_FILE = ROOT / "bench" / "results" / "faults.json"
TEST_TEMPLATES = ROOT / "tests" / "dialogkonferanse" / "templates"
# Not a secret: only the throw-away fault-suite server on loopback uses it.
SECRET_KEY = "faults-only-secret-key-0d9e8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f"  # noqa: S105
TOTAL_SECONDS = 9 * 60  # `make faults` must finish in under 10 minutes

MESSAGES = 1000
KILLS = 3
# Faults, by how many messages the SMTP server has received when they strike.
SCHEDULE = [(100, "kill"), (250, "flush"), (400, "kill"), (550, "terminate"), (700, "kill")]
SMTP_DELAY_MS = 25  # per message, before MAIL FROM is accepted: spreads the batch over ~40 s

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclasses.dataclass
class Figure:
    name: str
    value: float
    unit: str
    op: str
    target: float
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return _OPS[self.op](self.value, self.target)

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        value = int(self.value) if float(self.value).is_integer() else round(self.value, 2)
        target = int(self.target) if float(self.target).is_integer() else self.target
        return f"FAULT {self.name} {value} {self.unit} target {self.op}{target} {verdict}"


def say(message: str) -> None:
    print(f"faults: {message}", flush=True)


# --- The SMTP server: a process of its own that logs every message it accepts ---------------


def serve_smtp(port: int, log_path: str, delay_ms: int) -> None:
    """aiosmtpd on 127.0.0.1:port; one line per accepted message: ``<Message-ID> <rcpt>``.

    The delay sits before MAIL FROM is accepted, not before the reply to DATA, so a worker
    killed while waiting never leaves a message the server counted but the worker did not
    see accepted (that would be a duplicate of the server's making, not the outbox's).
    """
    import asyncio

    from aiosmtpd.controller import Controller

    header = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open until SIGTERM

    class Handler:
        async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                              options: list[str]) -> str:  # fmt: skip
            await asyncio.sleep(delay_ms / 1000)
            envelope.mail_from = address
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            match = header.search(envelope.content.split(b"\r\n\r\n", 1)[0])
            message_id = match.group(1).decode() if match else "-"
            log.write(f"{message_id} {','.join(envelope.rcpt_tos)}\n")
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    Path(log_path + ".ready").touch()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    log.close()


class SmtpServer:
    def __init__(self, work_dir: Path, *, delay_ms: int) -> None:
        self.port = free_port()
        self.log = work_dir / f"smtp-{self.port}.log"
        self.log.write_text("")
        self.delay_ms = delay_ms
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ready = Path(f"{self.log}.ready")
        ready.unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--smtp", str(self.port),
               str(self.log), str(self.delay_ms)]  # fmt: skip
        self.process = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        wait_for(ready.exists, timeout=20, what="the SMTP server")

    def stop(self) -> None:
        stop_process(self.process)

    def received(self) -> list[tuple[str, str]]:
        lines = self.log.read_text().splitlines()
        return [tuple(line.split(" ", 1)) for line in lines if " " in line]  # type: ignore[misc]


# --- The app's processes ----------------------------------------------------------------------

_STRIP = ("DJANGO_", "DATABASE_", "REDIS_URL", "CELERY_", "EMAIL_", "SERVESTATIC_", "OUTBOX_",
          "QA_", "REGISTRATION_", "CACHE_")  # fmt: skip


@dataclasses.dataclass
class Stack:
    """The services of one run and the app's environment pointing at them."""

    work_dir: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    smtp: SmtpServer
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = dataclasses.field(default_factory=list)

    def spawn(
        self, name: str, *args: str, extra_env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log_path = self.work_dir / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env={**self.env, **(extra_env or {})},
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        return process, log_path

    def django(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--django", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise FaultError(f"{args[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        return done.stdout

    def manage(self, *args: str, timeout: float = 300) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise FaultError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def start_worker(self, n: int | str) -> subprocess.Popen[bytes]:
        """A Celery worker as deployed: prefork, acks late; one pool process (see --help)."""
        process, log_path = self.spawn(
            f"worker-{n}",
            "-m", "celery", "-A", "dialogkonferanse", "worker", "--queues",
            self.env["CELERY_TASK_DEFAULT_QUEUE"], "--pool", "prefork", "--concurrency",
            self.env["FAULTS_WORKER_CONCURRENCY"], "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "--hostname", f"faults-{n}-{os.getpid()}@%h",
        )  # fmt: skip
        wait_for(
            lambda: " ready." in tail(log_path, 20000) or process.poll() is not None,
            timeout=60,
            what=f"Celery worker {n}",
        )
        if process.poll() is not None:
            raise FaultError(f"worker {n} exited:\n{tail(log_path)}")
        return process

    def start_beat(self) -> subprocess.Popen[bytes]:
        process, _ = self.spawn(
            "beat", "-m", "celery", "-A", "dialogkonferanse", "beat", "--loglevel", "INFO",
            "--schedule", str(self.work_dir / "beat-schedule"),
        )  # fmt: skip
        return process

    def start_server(
        self, extra_env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], str]:
        """gunicorn with uvicorn workers, as in production; returns (process, base URL)."""
        port = free_port()
        process, log_path = self.spawn(
            "server", "-m", "gunicorn", "dialogkonferanse.asgi:application", "--worker-class",
            "uvicorn_worker.UvicornWorker", "--workers", "1", "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "5", "--timeout", "60", "--log-level", "warning",
            extra_env=extra_env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            import httpx

            if process.poll() is not None:
                raise FaultError(f"server exited:\n{tail(log_path)}")
            try:
                return httpx.get(base + "/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60, what="the app server's /healthz")
        return process, base

    def outbox_status(self, prefix: str) -> dict[str, int]:
        rows = self.postgres.execute(
            "SELECT status, count(*) FROM dialogkonferanse_outboundemail "
            "WHERE idempotency_key LIKE %s GROUP BY status",
            (prefix + "%",),
            database="dk_faults",
        )
        return {status: count for status, count in rows}

    def terminate_app_connections(self) -> int:
        rows = self.postgres.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = 'dk_faults' AND pid <> pg_backend_pid()"
        )
        return int(rows[0][0])

    def close(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)


@contextlib.contextmanager
def stack(concurrency: int) -> Iterator[Stack]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="run-", dir=WORK_DIR))
    with contextlib.ExitStack() as cleanup:
        say(f"logs in {work_dir.relative_to(ROOT)}")
        postgres = PrivatePostgres(prefix="dk-faults-pg-")
        cleanup.callback(postgres.destroy)
        postgres.init()
        postgres.start()
        postgres.execute("CREATE DATABASE dk_faults")
        redis = PrivateRedis(work_dir)
        cleanup.callback(redis.stop)
        redis.start()
        smtp = SmtpServer(work_dir, delay_ms=SMTP_DELAY_MS)
        cleanup.callback(smtp.stop)
        smtp.start()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIP)}
        env = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_STATIC_MANIFEST": "0",
            "SERVESTATIC_USE_FINDERS": "1",
            "DATABASE_URL": postgres.url("dk_faults"),
            "REDIS_URL": redis.url(0),
            "CELERY_BROKER_URL": redis.url(1),
            "CELERY_TASK_DEFAULT_QUEUE": f"faults-{os.getpid()}",
            "CACHE_KEY_PREFIX": f"faults-{os.getpid()}",
            # As deployed: X-Forwarded-For is believed from no one (gunicorn reads it too).
            "FORWARDED_ALLOW_IPS": "",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_TIMEOUT": "10",
            # The sweep as deployed, on a shorter clock so the suite ends in minutes: a row a
            # killed worker left in "sending" is re-queued after 20 s, a queued row whose task
            # was lost is re-dispatched after 5 s; the sweep runs every 3 s.
            "OUTBOX_SWEEP_INTERVAL_SECONDS": "3",
            "OUTBOX_REQUEUE_AFTER_SECONDS": "5",
            "OUTBOX_SENDING_TIMEOUT_SECONDS": "20",
            "OUTBOX_RETRY_BASE_SECONDS": "2",
            "OUTBOX_RETRY_MAX_SECONDS": "10",
            "LOG_LEVEL": "WARNING",
            "SITE_URL": "http://127.0.0.1:8000",
            "FAULTS_WORKER_CONCURRENCY": str(concurrency),
        }
        run = Stack(work_dir, postgres, redis, smtp, env)
        cleanup.callback(run.close)
        say(f"private PostgreSQL on :{postgres.port}, Redis on :{redis.port}, "
            f"SMTP on :{smtp.port}; migrating")  # fmt: skip
        run.manage("migrate", "--no-input", "-v0")
        yield run


# --- Case: a 1,000-email batch under kills, a Redis flush and a connection kill ---------------


def case_email(run: Stack, *, deadline: float) -> list[Figure]:
    prefix = f"faults-{os.getpid()}-{int(time.time())}:"
    expected = set(json.loads(run.django("queue", prefix, str(MESSAGES))))
    say(f"queued {len(expected)} emails in one transaction")
    beat = run.start_beat()
    n = 1
    worker = run.start_worker(n)
    started = time.monotonic()
    done_faults: list[dict[str, Any]] = []
    schedule = list(SCHEDULE)
    while schedule:
        threshold, fault = schedule[0]
        count = len(run.smtp.received())
        if count >= threshold:
            schedule.pop(0)
            moment = {
                "fault": fault,
                "received": count,
                "second": round(time.monotonic() - started, 1),
            }
            if fault == "kill":
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
                time.sleep(1)
                n += 1
                worker = run.start_worker(n)
            elif fault == "flush":
                run.redis.flushdb(0, 1)
            elif fault == "terminate":
                moment["terminated"] = run.terminate_app_connections()
            done_faults.append(moment)
            say(f"{fault} at {count} received ({moment['second']} s)")
            continue
        if time.monotonic() > min(deadline, started + 240):
            raise FaultError(f"stalled at {count} received before the {fault} fault")
        if worker.poll() is not None:
            raise FaultError(
                f"worker {n} died by itself:\n{tail(run.work_dir / f'worker-{n}.log')}"
            )
        time.sleep(0.05)

    def all_sent() -> bool:
        return run.outbox_status(prefix).get("sent", 0) == MESSAGES and expected <= {
            message_id for message_id, _ in run.smtp.received()
        }

    try:
        wait_for(all_sent, timeout=min(300, deadline - time.monotonic()), what="every email",
                 interval=1)  # fmt: skip
    except FaultError as exc:
        say(f"{exc}; outbox {run.outbox_status(prefix)}")
    elapsed = time.monotonic() - started
    time.sleep(2)  # a late duplicate would arrive now
    stop_process(worker)
    stop_process(beat)
    counts = Counter(message_id for message_id, _ in run.smtp.received() if message_id in expected)
    delivered = len(counts)
    duplicates = sum(c - 1 for c in counts.values())
    worst = max(counts.values(), default=0)
    interrupting = sum(1 for f in done_faults if f["fault"] in ("kill", "terminate"))
    status = run.outbox_status(prefix)
    details = {
        "faults": done_faults,
        "outbox_status": status,
        "seconds_to_all_delivered": round(elapsed, 1),
        "smtp_messages_received": sum(counts.values()),
        "duplicate_message_ids": sorted(k for k, c in counts.items() if c > 1),
        "worker": f"celery prefork, concurrency {run.env['FAULTS_WORKER_CONCURRENCY']}",
        "smtp_delay_ms": SMTP_DELAY_MS,
    }
    say(json.dumps(details, default=str))
    return [
        Figure("email_delivered", delivered, "emails", "==", MESSAGES, details),
        Figure("email_rows_sent", status.get("sent", 0), "rows", "==", MESSAGES),
        Figure("email_max_copies_per_message", worst, "copies", "<=", 2),
        Figure(
            "email_duplicates",
            duplicates,
            "emails",
            "<=",
            interrupting,
            {"kills": KILLS, "connection_kills": interrupting - KILLS},
        ),
        Figure("email_recovery_seconds", round(elapsed, 1), "s", "<=", 240),
    ]


# --- Case: a burst draining through two workers, each SIGKILLed once -------------------------

# Faults of the two-worker case, by messages received: (threshold, index of the worker killed).
TWO_WORKER_SCHEDULE = [(200, 0), (500, 1)]


def _succeeded(log_path: Path) -> int:
    """Send tasks a worker finished, from its log (Celery logs each success at INFO)."""
    return len(re.findall(r"deliver_email\[[^\]]+\] succeeded", tail(log_path, 10_000_000)))


def case_email2(run: Stack, *, deadline: float) -> list[Figure]:
    """1,000 emails drain through two workers (prefork, one pool process each, the same queue);
    each worker is SIGKILLed once mid-drain and started again. The README's bound: an email is
    sent twice only if its worker dies between the server's acceptance and the status update,
    so at most one duplicate per kill and pool process."""
    prefix = f"faults2-{os.getpid()}-{int(time.time())}:"
    expected = set(json.loads(run.django("queue", prefix, str(MESSAGES))))
    say(f"queued {len(expected)} emails in one transaction; two workers")
    beat = run.start_beat()
    names = ["two-a-1", "two-b-1"]
    workers = [run.start_worker(name) for name in names]
    started = time.monotonic()
    done_faults: list[dict[str, Any]] = []
    schedule = list(TWO_WORKER_SCHEDULE)
    generation = [1, 1]
    while schedule:
        threshold, index = schedule[0]
        count = len(run.smtp.received())
        if count >= threshold:
            schedule.pop(0)
            os.killpg(workers[index].pid, signal.SIGKILL)
            workers[index].wait(timeout=10)
            moment = {"fault": "kill", "worker": names[index], "received": count,
                      "second": round(time.monotonic() - started, 1)}  # fmt: skip
            done_faults.append(moment)
            say(f"SIGKILL {names[index]} at {count} received ({moment['second']} s)")
            time.sleep(1)
            generation[index] += 1
            names[index] = f"two-{'ab'[index]}-{generation[index]}"
            workers[index] = run.start_worker(names[index])
            continue
        if time.monotonic() > min(deadline, started + 240):
            raise FaultError(f"stalled at {count} received before killing worker {index}")
        for name, worker in zip(names, workers, strict=True):
            if worker.poll() is not None:
                raise FaultError(
                    f"worker {name} died by itself:\n{tail(run.work_dir / f'worker-{name}.log')}"
                )
        time.sleep(0.05)

    def all_sent() -> bool:
        return run.outbox_status(prefix).get("sent", 0) == MESSAGES and expected <= {
            message_id for message_id, _ in run.smtp.received()
        }

    try:
        wait_for(all_sent, timeout=min(300, deadline - time.monotonic()), what="every email",
                 interval=1)  # fmt: skip
    except FaultError as exc:
        say(f"{exc}; outbox {run.outbox_status(prefix)}")
    elapsed = time.monotonic() - started
    time.sleep(2)  # a late duplicate would arrive now
    for worker in workers:
        stop_process(worker)
    stop_process(beat)
    counts = Counter(message_id for message_id, _ in run.smtp.received() if message_id in expected)
    duplicates = sum(c - 1 for c in counts.values())
    status = run.outbox_status(prefix)
    concurrency = int(run.env["FAULTS_WORKER_CONCURRENCY"])
    tasks = {
        log.stem.removeprefix("worker-"): _succeeded(log)
        for log in sorted(run.work_dir.glob("worker-two-*.log"))
    }
    details = {
        "faults": done_faults,
        "outbox_status": status,
        "seconds_to_all_delivered": round(elapsed, 1),
        "smtp_messages_received": sum(counts.values()),
        "duplicate_message_ids": sorted(k for k, c in counts.items() if c > 1),
        "send_tasks_succeeded_per_worker": tasks,
        "workers": f"2 x celery prefork, concurrency {concurrency}, one queue",
        "smtp_delay_ms": SMTP_DELAY_MS,
    }
    say(json.dumps(details, default=str))
    sending = sum(
        1 for side in "ab" if any(n for k, n in tasks.items() if k.startswith(f"two-{side}-"))
    )
    return [
        Figure("email2_delivered", len(counts), "emails", "==", MESSAGES, details),
        Figure("email2_rows_sent", status.get("sent", 0), "rows", "==", MESSAGES),
        Figure("email2_lost", len(expected - set(counts)), "emails", "==", 0),
        Figure("email2_max_copies_per_message", max(counts.values(), default=0), "copies", "<=", 2),
        Figure(
            "email2_duplicates",
            duplicates,
            "emails",
            "<=",
            len(done_faults) * concurrency,
            {"kills": len(done_faults), "pool_processes_per_worker": concurrency},
        ),
        Figure("email2_workers_sending", sending, "workers", "==", 2),
        Figure("email2_recovery_seconds", round(elapsed, 1), "s", "<=", 240),
    ]


# --- Case: registration while Redis is down ---------------------------------------------------

REGISTRATION_FORM = {
    "organisation_name": "Feilsikker AS",
    "country": "NO",
    "organisation_number": "974760673",
    "contact_name": "Kari Nordmann",
    "phone": "",
    "language": "nb",
    "privacy_acknowledged": "on",
}


def _csrf(client: Any, url: str) -> str:
    response = client.get(url)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    if response.status_code != 200 or not match:
        raise FaultError(f"no registration form at {url} ({response.status_code})")
    return match.group(1)


def case_redis(run: Stack, *, deadline: float) -> list[Figure]:
    import httpx

    slug = run.django("conference", "faults-redis-down").strip()
    beat = run.start_beat()
    worker = run.start_worker(100)
    server, base = run.start_server()
    email = f"redis-down-{os.getpid()}@example.no"
    url = f"{base}/conferences/{slug}/register/"
    figures: list[Figure] = []
    try:
        with httpx.Client(timeout=30, headers={"Accept-Language": "en"}) as client:
            token = _csrf(client, url)
            run.redis.stop()
            say("Redis stopped; registering")
            started = time.monotonic()
            response = client.post(
                url, data={**REGISTRATION_FORM, "email": email, "csrfmiddlewaretoken": token}
            )
            took = time.monotonic() - started
        stored = run.postgres.execute(
            "SELECT count(*) FROM registrations_registration WHERE email = %s",
            (email,),
            database="dk_faults",
        )[0][0]
        ok = response.status_code == 302 and response.headers.get("location", "").endswith(
            f"/conferences/{slug}/register/thanks/"
        )
        figures.append(
            Figure(
                "redis_down_registration_status",
                response.status_code,
                "http",
                "==",
                302,
                {
                    "location": response.headers.get("location"),
                    "seconds": round(took, 2),
                    "redirect_to_thanks": ok,
                },
            )
        )
        figures.append(Figure("redis_down_registration_stored", stored, "rows", "==", 1))
        figures.append(Figure("redis_down_registration_seconds", round(took, 2), "s", "<=", 10))
        time.sleep(3)
        run.redis.start()
        say("Redis started again; waiting for the confirmation email")
        started = time.monotonic()

        def arrived() -> bool:
            return any(rcpt == email for _, rcpt in run.smtp.received())

        try:
            wait_for(arrived, timeout=min(120, deadline - time.monotonic()), what="the email",
                     interval=0.5)  # fmt: skip
            seconds = time.monotonic() - started
        except FaultError as exc:
            say(str(exc))
            seconds = float("inf")
        copies = sum(1 for _, rcpt in run.smtp.received() if rcpt == email)
        figures.append(
            Figure(
                "redis_back_email_delivered",
                copies,
                "emails",
                "==",
                1,
                {"seconds_after_redis_back": round(seconds, 1)},
            )
        )
    finally:
        if not run.redis.ping():
            run.redis.start()
        for process in (server, worker, beat):
            stop_process(process)
    return figures


# --- Case: PostgreSQL restarted under the running app -----------------------------------------


def case_postgres(run: Stack, *, deadline: float) -> list[Figure]:
    import httpx

    server, base = run.start_server()
    figures: list[Figure] = []
    try:
        with httpx.Client(timeout=30) as client:
            before = client.get(base + "/").status_code
            run.postgres.stop()
            say("PostgreSQL stopped")
            started = time.monotonic()
            health = client.get(base + "/healthz")
            health_seconds = time.monotonic() - started
            started = time.monotonic()
            # A visitor with a session: the public pages' few-second shared cache would answer
            # a session-less one from Redis without the database.
            page = client.get(base + "/", headers={"Cookie": "sessionid=fault-suite"})
            page_seconds = time.monotonic() - started
            figures += [
                Figure("postgres_down_healthz_status", health.status_code, "http", "==", 503,
                       {"body": health.text[:200], "seconds": round(health_seconds, 2)}),
                Figure("postgres_down_healthz_seconds", round(health_seconds, 2), "s", "<=", 15),
                Figure("postgres_down_page_status", page.status_code, "http", "==", 503,
                       {"seconds": round(page_seconds, 2), "status_before": before}),
                Figure("postgres_down_page_seconds", round(page_seconds, 2), "s", "<=", 15),
            ]  # fmt: skip
            time.sleep(2)
            run.postgres.start()
            say("PostgreSQL started again; polling /healthz")
            started = time.monotonic()

            def healthy() -> bool:
                try:
                    return client.get(base + "/healthz", timeout=15).status_code == 200
                except httpx.HTTPError:
                    return False

            try:
                wait_for(healthy, timeout=min(120, deadline - time.monotonic()),
                         what="/healthz 200", interval=0.5)  # fmt: skip
                recovered = time.monotonic() - started
            except FaultError as exc:
                say(str(exc))
                recovered = float("inf")
            page_after = client.get(base + "/").status_code
        figures += [
            Figure("postgres_back_healthz_seconds", round(recovered, 1), "s", "<=", 60,
                   {"server_pid_unchanged": server.poll() is None}),
            Figure("postgres_back_page_status", page_after, "http", "==", 200),
            Figure("postgres_back_without_restart", int(server.poll() is None), "bool", "==", 1),
        ]  # fmt: skip
    finally:
        if not run.postgres.running():
            with contextlib.suppress(FaultError):
                run.postgres.start()
        stop_process(server)
    return figures


# --- Live Q&A under faults: the shared machinery of the redis_stream and node_loss cases --------

STREAM_EVENTS = 120  # approvals published by the producer during a stream case
STREAM_EVENT_INTERVAL = 0.15  # seconds between approvals (about 18 s of events)
STREAM_ASKS = 10  # questions asked through HTTP during the outage, one per viewer
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_REQUEST_TOKEN_INPUT = re.compile(r'name="request_token" value="([^"]+)"')
# The web processes of the stream cases: a 5 s heartbeat (the default is 15 s) so that the
# table read that stands in for a lost Redis subscription comes within the outage.
STREAM_ENV = {"QA_SSE_HEARTBEAT_SECONDS": "5"}


def _live_conference(run: Stack, name: str, viewers: int) -> dict[str, Any]:
    data = json.loads(run.django("live", name, str(viewers), timeout=600))
    say(f"live conference {data['slug']} with {viewers} viewers and a moderator")
    return data


def _event_ids(run: Stack, conference_id: int, channel: str, after: int) -> list[int]:
    rows = run.postgres.execute(
        "SELECT id FROM qa_liveevent WHERE conference_id = %s AND channel = %s AND id > %s "
        "ORDER BY id",
        (conference_id, channel, after),
        database="dk_faults",
    )
    return [row[0] for row in rows]


def _asker_tokens(base: str, data: dict[str, Any], count: int) -> list[tuple[str, str, str, str]]:
    """(session cookie, CSRF cookie, CSRF form token, the ask form's request token) of
    ``count`` viewers, from their stream page."""
    import httpx

    found = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for cookie in data["cookies"][-count:]:
            response = client.get(f"/me/{data['slug']}/stream/", headers={"Cookie": cookie})
            match = _CSRF_INPUT.search(response.text)
            request_token = _REQUEST_TOKEN_INPUT.search(response.text)
            token_cookie = response.cookies.get("csrftoken")
            if response.status_code != 200 or not match or not token_cookie or not request_token:
                raise FaultError(f"no question form on the stream page ({response.status_code})")
            client.cookies.clear()
            found.append((cookie, token_cookie, match.group(1), request_token.group(1)))
    return found


async def _ask(
    base: str, slug: str, askers: list[tuple[str, str, str, str]], tag: str
) -> list[Any]:
    """One question per asker through the real form; (text, status or error, attempts) each.

    An answer of 502/503/504 or no answer is sent again after a second, up to twice, as a
    person would press the button again when the proxy says the node is gone (nginx does not
    repeat a POST that reached a node). The form sent again carries the same request token, as
    the browser's would; whether a question is still doubled is what the ``questions_doubled``
    figure checks.
    """
    import httpx

    async def one(client: httpx.AsyncClient, n: int, asker: tuple[str, str, str]) -> Any:
        cookie, token_cookie, token, request_token = asker
        text = f"Spørsmål {tag}-{n} under feilen?"
        outcome: Any = None
        for attempt in range(1, 4):
            try:
                response = await client.post(
                    f"/me/{slug}/stream/ask/",
                    data={
                        "text": text,
                        "csrfmiddlewaretoken": token,
                        "request_token": request_token,
                    },
                    headers={"Cookie": f"{cookie}; csrftoken={token_cookie}",
                             "Referer": f"{base}/me/{slug}/stream/"},
                )  # fmt: skip
                outcome = response.status_code
            except httpx.TransportError as exc:
                outcome = type(exc).__name__
            if outcome not in (502, 503, 504) and isinstance(outcome, int):
                return text, outcome, attempt
            await asyncio.sleep(1.0)
        return text, outcome, 3

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return list(await asyncio.gather(*(one(client, n, a) for n, a in enumerate(askers))))


def _question_copies(run: Stack, conference_id: int, texts: list[str]) -> dict[str, int]:
    rows = run.postgres.execute(
        "SELECT text, count(*) FROM qa_question WHERE conference_id = %s AND text = ANY(%s) "
        "GROUP BY text",
        (conference_id, texts),
        database="dk_faults",
    )
    copies = dict.fromkeys(texts, 0)
    copies.update({text: count for text, count in rows})
    return copies


@dataclasses.dataclass
class LiveRun:
    """What a stream case observed: the streams, the asks and the moments of the fault."""

    viewers: list[Any]
    moderators: list[Any]
    asks: list[Any]
    fault_at: float
    restored_at: float | None
    caught_up_seconds: float  # from the restore (or the fault) until every stream had every
    # event written up to then
    during_outage: int  # viewer events written during the outage that reached every stream
    # before the outage ended (they came from the stored events: nothing was published)
    details: dict[str, Any]


async def _live_under_fault(
    run: Stack,
    *,
    host: str,
    port: int,
    base: str,
    data: dict[str, Any],
    fault: Callable[[], Any],
    restore: Callable[[], Any] | None,
    outage_seconds: float,
    moderators: int,
    catch_up_timeout: float,
) -> LiveRun:
    """Viewer and moderator streams (reconnecting as EventSource does) through ``host:port``;
    a producer approves questions; ``fault`` strikes, questions are asked through ``base``,
    ``restore`` (if any) ends the outage; then every stream must hold every stored event."""
    from bench.sse_client import Stream

    slug, conference_id = data["slug"], data["conference_id"]
    viewer_start = (_event_ids(run, conference_id, "viewers", 0) or [0])[-1]
    moderator_start = (_event_ids(run, conference_id, "moderators", 0) or [0])[-1]
    askers = await asyncio.to_thread(_asker_tokens, base, data, STREAM_ASKS)
    viewers = [
        Stream(host, port, f"/me/{slug}/stream/events/", cookie, last_id=str(viewer_start),
               reconnect=True)
        for cookie in data["cookies"]
    ]  # fmt: skip
    mods = [
        Stream(host, port, f"/moderate/{slug}/events/", data["moderator_cookie"],
               last_id=str(moderator_start), reconnect=True)
        for _ in range(moderators)
    ]  # fmt: skip
    everyone = [*viewers, *mods]
    for stream in everyone:
        await stream.start()
        await asyncio.sleep(0.002)  # do not SYN-flood the listen backlog
    deadline = time.monotonic() + 120
    while not all(s.connected.is_set() for s in everyone):
        if time.monotonic() > deadline:
            waiting = sum(1 for s in everyone if not s.connected.is_set())
            errors = Counter(s.error for s in everyone if s.error)
            raise FaultError(f"{waiting} streams did not connect: {dict(errors)}")
        await asyncio.sleep(0.1)
    say(f"{len(viewers)} viewer and {len(mods)} moderator streams connected")
    await asyncio.sleep(1.0)
    producer, producer_log = run.spawn(
        f"producer-{slug}", str(Path(__file__).resolve()), "--django", "approve",
        str(conference_id), str(STREAM_EVENTS), str(STREAM_EVENT_INTERVAL),
    )  # fmt: skip
    try:
        await asyncio.sleep(4.0)
        fault_at = time.monotonic()
        fault_info = await asyncio.to_thread(fault)
        asks = await _ask(base, slug, askers, f"{slug}-{int(fault_at)}")
        say(f"asked {len(asks)} questions during the outage: {Counter(a[1] for a in asks)}, "
            f"attempts {Counter(a[2] for a in asks)}")  # fmt: skip
        await asyncio.sleep(max(0.0, fault_at + outage_seconds - time.monotonic()))
        during = _event_ids(run, conference_id, "viewers", viewer_start)
        held = [set(v.ids) for v in viewers]
        delivered_in_outage = sum(1 for event_id in during if all(event_id in h for h in held))
        restored_at = None
        if restore is not None:
            await asyncio.to_thread(restore)
            restored_at = time.monotonic()
        # Recovery: from the end of the outage (the restore; for a fault nothing restores, the
        # fault itself) until every stream holds every event written up to that moment.
        since = restored_at or fault_at
        snapshot = set(_event_ids(run, conference_id, "viewers", viewer_start))
        limit = time.monotonic() + catch_up_timeout
        while not all(snapshot <= set(v.ids) for v in viewers) and time.monotonic() < limit:
            await asyncio.sleep(0.2)
        recovered = time.monotonic() - since if time.monotonic() < limit else float("inf")
        code = await asyncio.to_thread(producer.wait, 120)
        if code != 0:
            raise FaultError(f"the event producer failed:\n{tail(producer_log)}")
    finally:
        stop_process(producer)
    expected_viewers = _event_ids(run, conference_id, "viewers", viewer_start)
    expected_mods = _event_ids(run, conference_id, "moderators", moderator_start)
    if len(expected_viewers) < STREAM_EVENTS:
        raise FaultError(f"only {len(expected_viewers)} viewer events were written")
    want_viewers, want_mods = set(expected_viewers), set(expected_mods)

    def complete() -> bool:
        return all(want_viewers <= set(v.ids) for v in viewers) and all(
            want_mods <= set(m.ids) for m in mods
        )

    deadline = time.monotonic() + catch_up_timeout
    while not complete() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # a late duplicate would arrive now
    for stream in everyone:
        await stream.close()
    details = {
        "fault": fault_info,
        "viewer_events": len(expected_viewers),
        "moderator_events": len(expected_mods),
        "viewer_events_written_during_outage": len(during),
        "outage_events_delivered_before_restore": delivered_in_outage,
        "streams_that_lost_their_connection": sum(1 for s in everyone if s.losses),
        "refusals": dict(Counter(r for s in everyone for r in s.refusals)),
        "connect_errors": sum(s.connect_errors for s in everyone),
    }
    return LiveRun(viewers, mods, asks, fault_at, restored_at, recovered, delivered_in_outage,
                   details)  # fmt: skip


def _lost_doubled(streams: list[Any], expected: list[int]) -> tuple[int, int]:
    want = set(expected)
    lost = sum(len(want - set(s.ids)) for s in streams)
    doubled = sum(len(s.ids) - len(set(s.ids)) for s in streams)
    return lost, doubled


def _stream_figures(
    run: Stack, prefix: str, live: LiveRun, data: dict[str, Any], viewer_start: int
) -> list[Figure]:
    conference_id = data["conference_id"]
    viewer_ids = _event_ids(run, conference_id, "viewers", viewer_start)
    v_lost, v_doubled = _lost_doubled(live.viewers, viewer_ids)
    mod_ids = [i for s in live.moderators for i in s.ids]
    m_doubled = sum(len(s.ids) - len(set(s.ids)) for s in live.moderators)
    texts = [text for text, *_ in live.asks]
    copies = _question_copies(run, conference_id, texts)
    accepted = [text for text, status, _ in live.asks if status == 302]
    # Each question asked must reach every moderator stream once (its "question" event).
    question_ids = dict(
        run.postgres.execute(
            "SELECT text, id FROM qa_question WHERE conference_id = %s AND text = ANY(%s)",
            (conference_id, texts),
            database="dk_faults",
        )
    )
    seen_by_mods = 0
    for mod in live.moderators:
        payloads = [payload for _, _, payload in mod.frames]
        for text in texts:
            marker = f'"id": {question_ids.get(text, -1)},'
            compact = f'"id":{question_ids.get(text, -1)},'
            if any(marker in p or compact in p for p in payloads):
                seen_by_mods += 1
    details = {**live.details, "asks": dict(Counter(str(a[1]) for a in live.asks)),
               "ask_attempts": dict(Counter(a[2] for a in live.asks)),
               "moderator_event_ids_received": len(mod_ids)}  # fmt: skip
    return [
        Figure(f"{prefix}_events_lost", v_lost, "events", "==", 0,
               {**details, "viewers": len(live.viewers)}),
        Figure(f"{prefix}_events_doubled", v_doubled, "events", "==", 0),
        Figure(f"{prefix}_moderator_events_doubled", m_doubled, "events", "==", 0),
        Figure(f"{prefix}_questions_accepted", len(accepted), "questions", "==", len(texts)),
        Figure(f"{prefix}_questions_lost", sum(1 for t in texts if copies[t] == 0), "questions",
               "==", 0),
        Figure(f"{prefix}_questions_doubled", sum(max(0, c - 1) for c in copies.values()),
               "questions", "==", 0),
        Figure(f"{prefix}_questions_seen_by_moderators", seen_by_mods, "deliveries", "==",
               len(texts) * len(live.moderators)),
    ]  # fmt: skip


# --- Case: Redis restarted under 200 connected viewers ------------------------------------------

REDIS_STREAM_VIEWERS = 200
REDIS_OUTAGE_SECONDS = 12


def case_redis_stream(run: Stack, *, deadline: float) -> list[Figure]:
    """200 viewers and 2 moderator streams held open while questions are approved; Redis is
    stopped for 12 s (the pub/sub gone: the server processes read the stored events at their
    heartbeat) and started empty again (no persistence); questions are asked meanwhile."""
    from bench.cluster import raise_nofile

    raise_nofile()  # 200 streams here and as many in the server
    data = _live_conference(run, "faults-redis-stream", REDIS_STREAM_VIEWERS)
    server, base = run.start_server(STREAM_ENV)
    port = int(base.rsplit(":", 1)[1])

    def fault() -> dict[str, Any]:
        run.redis.stop()
        say("Redis stopped under the streams")
        return {"redis": "stopped (SIGTERM)", "outage_seconds": REDIS_OUTAGE_SECONDS}

    def restore() -> None:
        run.redis.start()
        say("Redis started again (empty)")

    viewer_start = (_event_ids(run, data["conference_id"], "viewers", 0) or [0])[-1]
    try:
        live = asyncio.run(
            _live_under_fault(
                run, host="127.0.0.1", port=port, base=base, data=data, fault=fault,
                restore=restore, outage_seconds=REDIS_OUTAGE_SECONDS, moderators=2,
                catch_up_timeout=min(90, max(10, deadline - time.monotonic())),
            )
        )  # fmt: skip
    finally:
        if not run.redis.ping():
            run.redis.start()
        stop_process(server)
    figures = _stream_figures(run, "redis_stream", live, data, viewer_start)
    figures += [
        Figure("redis_stream_recovery_seconds", round(live.caught_up_seconds, 1), "s", "<=", 30,
               {"heartbeat_seconds": int(STREAM_ENV["QA_SSE_HEARTBEAT_SECONDS"])}),
        Figure("redis_stream_outage_events_from_store", live.during_outage, "events", ">", 0,
               {"meaning": "events written while Redis was down that every viewer had before "
                "it came back: read from the stored events, since nothing could be published"}),
    ]  # fmt: skip
    return figures


# --- Case: a web node lost under 1,000 viewers behind the proxy ---------------------------------

NODE_LOSS_VIEWERS = 1000
NODE_LOSS_MODERATORS = 4
NODE_LOSS_WINDOW_SECONDS = 10  # the asks and the reconnections fall in this window
RECONNECT_TARGET_SECONDS = 10
# Each node as compose runs a web replica: gunicorn with WEB_CONCURRENCY (default 2) uvicorn
# worker processes; the kill takes the node's whole process group.
NODE_WORKERS = 2


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes so far (from /proc; 0 for ones that are gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _dashboard_check(run: Stack, cluster: Any, data: dict[str, Any]) -> list[Figure]:
    """The moderator dashboard in Chromium through the proxy, its event stream on node 1 (node
    0 is dead when it connects); node 0 is started again, node 1 SIGKILLed, a question asked.
    The dashboard's connection badge must go to "reconnecting", back to "live" through node 0,
    and the question's card must appear without a reload."""
    import httpx
    from playwright.sync_api import sync_playwright

    from tests.browser.fixtures import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        say("dashboard check skipped: Chromium is not installed (apt-get install chromium)")
        return []
    slug = data["slug"]
    asker = _asker_tokens(cluster.url, data, 1)
    states: list[tuple[float, str | None]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="nb-NO")
            context.add_cookies([{"name": "sessionid", "value": data["moderator_cookie"].split(
                "=", 1)[1], "url": cluster.url}])  # fmt: skip
            page = context.new_page()
            page.goto(f"{cluster.url}/moderate/{slug}/")
            page.wait_for_selector('#qa-dashboard[data-live="on"]', timeout=30_000)
            cluster.restart_node(0)
            # nginx leaves a node that refused out for its fail_timeout (5 s): let it pass, or
            # the proxy would answer 502 ("no live upstreams") and the dashboard's EventSource
            # would close ("offline", a new one after 5 s) instead of reconnecting.
            time.sleep(6)
            cluster.kill_node(1)
            killed = time.monotonic()
            say("dashboard open; node 0 started again, node 1 SIGKILLed")
            # Playwright's sync API holds an event loop in this thread: ask from another one.
            with concurrent.futures.ThreadPoolExecutor(1) as other:
                asked = other.submit(
                    asyncio.run, _ask(cluster.url, slug, asker, f"{slug}-dashboard")
                ).result()
            text = asked[0][0]
            question = run.postgres.execute(
                "SELECT id FROM qa_question WHERE conference_id = %s AND text = %s",
                (data["conference_id"], text),
                database="dk_faults",
            )
            card = f"#q-{question[0][0]}" if question else "#q-none"
            live_again = card_seen = None
            while time.monotonic() - killed < 30 and (live_again is None or card_seen is None):
                state = page.get_attribute("#qa-dashboard", "data-live")
                if not states or states[-1][1] != state:
                    states.append((round(time.monotonic() - killed, 2), state))
                seen_reconnecting = any(s in ("reconnecting", "offline") for _, s in states)
                if live_again is None and seen_reconnecting and state == "on":
                    live_again = time.monotonic() - killed
                if card_seen is None and page.locator(card).count():
                    card_seen = time.monotonic() - killed
                time.sleep(0.05)
            badge = page.text_content("#qa-connection")
        finally:
            browser.close()
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(cluster.url + "/healthz/live", timeout=5)
    details = {"states_after_kill_s": states, "ask_status": asked[0][1],
               "ask_attempts": asked[0][2], "badge_text": badge}  # fmt: skip
    say(f"dashboard: {json.dumps(details, ensure_ascii=False)}")
    return [
        Figure("node_loss_dashboard_reconnecting_shown",
               int(any(s == "reconnecting" for _, s in states)), "bool", "==", 1, details),
        Figure("node_loss_dashboard_live_again_seconds",
               round(live_again if live_again is not None else float("inf"), 2), "s", "<=",
               RECONNECT_TARGET_SECONDS),
        Figure("node_loss_dashboard_new_question_seconds",
               round(card_seen if card_seen is not None else float("inf"), 2), "s", "<=",
               RECONNECT_TARGET_SECONDS + 5),
    ]  # fmt: skip


def case_node_loss(run: Stack, *, deadline: float) -> list[Figure]:
    """1,000 viewer and 4 moderator streams through nginx in front of two uvicorn nodes
    (bench/cluster.py, the proxy configuration compose uses); node 0 is SIGKILLed while
    questions are being approved; questions are asked through the proxy at that moment. Every
    stream cut off must reconnect through the proxy (to node 1) within 10 s and resume from
    its Last-Event-ID with nothing lost or doubled."""
    from bench.cluster import Cluster, raise_nofile

    limit = raise_nofile()
    data = _live_conference(run, "faults-node-loss", NODE_LOSS_VIEWERS)
    # The nodes believe the proxy's X-Forwarded-For, as deployed behind it.
    node_env = {**run.env, **STREAM_ENV, "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    cluster = Cluster(node_env, workers=NODE_WORKERS, work_dir=run.work_dir, keep=True)
    viewer_start = (_event_ids(run, data["conference_id"], "viewers", 0) or [0])[-1]
    try:
        cluster.start(2)
        say(f"nginx on {cluster.url} in front of nodes "
            f"{', '.join(str(n.port) for n in cluster.nodes)}; open files {limit}")  # fmt: skip

        survivor: dict[str, float] = {}

        def fault() -> dict[str, Any]:
            survivor["cpu_before"] = _cpu_seconds(cluster.node_pids(1))
            survivor["client_before"] = time.process_time()
            survivor["load_before"] = os.getloadavg()[0]
            cluster.kill_node(0)
            say("node 0 SIGKILLed")
            return {"killed": "node 0 (its process group, SIGKILL)", "nodes": 2,
                    "processes_per_node": NODE_WORKERS}  # fmt: skip

        live = asyncio.run(
            _live_under_fault(
                run, host="127.0.0.1", port=cluster.proxy_port, base=cluster.url, data=data,
                fault=fault, restore=None, outage_seconds=NODE_LOSS_WINDOW_SECONDS,
                moderators=NODE_LOSS_MODERATORS,
                catch_up_timeout=min(90, max(10, deadline - time.monotonic())),
            )
        )  # fmt: skip
        survivor_alive = cluster.nodes[1].alive
        survivor["cpu_after"] = _cpu_seconds(cluster.node_pids(1))
        survivor["client_after"] = time.process_time()
        survivor["load_after"] = os.getloadavg()[0]
        dashboard = _dashboard_check(run, cluster, data)
    finally:
        cluster.stop()
    from bench.sse_client import percentile

    everyone = [*live.viewers, *live.moderators]
    cut = [s for s in everyone if s.losses]
    never = [s for s in cut if not s.reconnected_at]
    # Seconds from the kill until the stream's next ": connected" (its first reconnection).
    times = [s.reconnected_at[0] - live.fault_at for s in cut if s.reconnected_at]
    worst = max(times) if times and not never else float("inf")
    mods_cut = [s for s in live.moderators if s.losses]
    noticed = [s.lost_times[0] - live.fault_at for s in cut]
    # From the first loss to the next ": connected": the retry delay plus the new request.
    connect = [s.reconnects[0] for s in cut if s.reconnects]
    reconnect = {
        "viewers_cut": sum(1 for s in live.viewers if s.losses),
        "moderator_streams_cut": len(mods_cut),
        "never_reconnected": len(never),
        "p50_s": round(percentile(times, 50), 2),
        "p95_s": round(percentile(times, 95), 2),
        "max_s": round(max(times), 2) if times else None,
        "client_retry_ms": live.viewers[0].retry_ms,
        "loss_noticed_p50_s": round(percentile(noticed, 50), 2),
        "loss_noticed_max_s": round(max(noticed, default=float("nan")), 2),
        "loss_to_connected_p50_s": round(percentile(connect, 50), 2),
        "loss_to_connected_max_s": round(max(connect, default=float("nan")), 2),
        "refused_attempts": sum(len(s.refusals) for s in cut),
        "connect_errors": sum(s.connect_errors for s in cut),
        "reconnections_per_cut_stream": round(
            sum(len(s.reconnected_at) for s in cut) / max(1, len(cut)), 2
        ),
        "survivor_alive": survivor_alive,
        # CPU seconds from the kill to the end of the case: the survivor took over 500 streams
        # (and fanned every event out to all of them); the client is this process.
        "survivor_cpu_seconds": round(survivor["cpu_after"] - survivor["cpu_before"], 2),
        "client_cpu_seconds": round(survivor["client_after"] - survivor["client_before"], 2),
        "machine_load_1min": [round(survivor["load_before"], 1), round(survivor["load_after"], 1)],
        "cores": os.cpu_count(),
    }
    say(json.dumps(reconnect))
    figures = _stream_figures(run, "node_loss", live, data, viewer_start)
    figures += [
        Figure("node_loss_viewers_cut", reconnect["viewers_cut"], "viewers", ">", 0, reconnect),
        Figure("node_loss_reconnect_max_seconds", round(worst, 2), "s", "<=",
               RECONNECT_TARGET_SECONDS, reconnect),
        Figure("node_loss_reconnect_p95_seconds", reconnect["p95_s"], "s", "<=",
               RECONNECT_TARGET_SECONDS),
        Figure("node_loss_never_reconnected", len(never), "streams", "==", 0),
        # The dashboard's stream (moderators channel) shows "reconnecting" while EventSource
        # retries and "live" again on its next open: its streams cut here must reconnect.
        Figure("node_loss_dashboard_streams_recovered",
               sum(1 for s in mods_cut if s.reconnected_at), "streams", "==", len(mods_cut),
               {"moderator_streams": len(live.moderators), "cut": len(mods_cut)}),
        Figure("node_loss_recovery_seconds", round(live.caught_up_seconds, 1), "s", "<=", 30),
    ]  # fmt: skip
    return figures + dashboard


CASES: dict[str, Callable[..., list[Figure]]] = {
    "email": case_email,
    "email2": case_email2,
    "redis_stream": case_redis_stream,
    "node_loss": case_node_loss,
    "redis": case_redis,
    "postgres": case_postgres,
}


# --- Django-side helpers, run in a child process with the app's environment -------------------


def django_command(args: list[str]) -> None:
    import django

    django.setup()
    from django.conf import settings

    if args[0] in ("live", "conference"):
        # Each command is a process of its own: the factories' sequence (buyer names are
        # unique) must not start at 1 again in the suite's database.
        import itertools

        import tests.factories
        from conferences.models import Conference

        tests.factories._seq = itertools.count(1000 * (Conference.objects.count() + 1))

    if args[0] == "queue":
        from django.db import transaction

        from dialogkonferanse.outbox.message import message_id
        from dialogkonferanse.outbox.queue import queue_email

        settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]
        prefix, count = args[1], int(args[2])
        keys = [f"{prefix}{i}" for i in range(count)]
        with transaction.atomic():  # the send tasks go out when this commits
            for i, key in enumerate(keys):
                queue_email(
                    kind="faults",
                    to=f"leverandor-{i}@example.no",
                    language=("nb", "nn", "en")[i % 3],
                    template="outbox_test",
                    context={"headline": f"Melding {i}", "token": f"t{i}"},
                    idempotency_key=key,
                )
        print(json.dumps([message_id(key) for key in keys]))
    elif args[0] == "live":
        from bench.bench_qa import _setup as live_setup

        slug = f"{args[1]}-{os.getpid()}"
        data = live_setup(slug, int(args[2]))
        print(json.dumps({"slug": slug, "conference_id": data["conference"].pk,
                          "cookies": data["cookies"],
                          "moderator_cookie": data["moderator_cookie"]}))  # fmt: skip
    elif args[0] == "approve":
        # The event producer of the stream cases: questions approved one by one, as a
        # moderator would, each a committed LiveEvent published after commit.
        from conferences.models import Conference
        from qa import services
        from qa.models import Question
        from registrations.models import Registration

        conference = Conference.objects.get(pk=int(args[1]))
        count, interval = int(args[2]), float(args[3])
        registration = Registration.objects.filter(conference=conference).first()
        questions = Question.objects.bulk_create(
            Question(conference=conference, registration=registration, text=f"Hendelse {n}?",
                     original_text=f"Hendelse {n}?")
            for n in range(count)
        )  # fmt: skip
        for question in questions:
            services.approve_question(conference_id=conference.pk, question_id=question.pk,
                                      moderator=None, expected_version=1)  # fmt: skip
            time.sleep(interval)
    elif args[0] == "conference":
        from tests.factories import make_conference

        slug = f"{args[1]}-{os.getpid()}"
        make_conference(slug=slug, title="Feiltest")
        print(slug)
    else:
        raise SystemExit(f"unknown command {args[0]!r}")


# --- Main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", "--only", help=f"comma-separated cases: {', '.join(CASES)}")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="worker pool processes (default 1: a kill then interrupts at most one send, "
        "which the one-duplicate-per-kill target assumes; with N the bound is N per kill)",
    )
    parser.add_argument("--smtp", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--django", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smtp:
        serve_smtp(int(args.smtp[0]), args.smtp[1], int(args.smtp[2]))
        return 0
    if args.django:
        django_command(args.django)
        return 0

    names = args.only.split(",") if args.only else list(CASES)
    unknown = set(names) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    begin = time.monotonic()
    deadline = begin + TOTAL_SECONDS
    figures: list[Figure] = []
    crashed: list[str] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    try:
        with stack(args.concurrency) as run:
            for name in names:
                say(f"case {name}")
                try:
                    result = CASES[name](run, deadline=deadline)
                except FaultError as exc:
                    say(f"case {name} crashed: {exc}")
                    crashed.append(name)
                    continue
                for figure in result:
                    print(figure.line(), flush=True)
                figures += result
    except FaultError as exc:
        say(f"setup failed: {exc}")
        return 1
    total = time.monotonic() - begin
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(
        json.dumps(
            {
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "cores": os.cpu_count(),
                "total_seconds": round(total, 1),
                "crashed": crashed,
                "figures": [{**dataclasses.asdict(f), "passed": f.passed} for f in figures],
                "lines": [f.line() for f in figures],
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    failed = [f.name for f in figures if not f.passed]
    say(f"{len(figures)} figures, {len(failed)} FAIL, {len(crashed)} crashed, {total:.0f} s")
    return 1 if failed or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
