"""Email outbox drain: 2,000 queued emails through one Celery worker into an SMTP sink.

The emails are queued as the app queues them, each in a transaction of its own (one per
registration), while no worker runs: 2,000 outbox rows and 2,000 send tasks wait. Then one
worker starts (the email worker as deployed: 8 threads, ``harness.EMAIL_WORKER``) and the
clock runs from the moment it is ready until every row is ``sent``.

``email_drain_seconds``              time to drain the 2,000 (target < 60 s)
``email_drain_connections_per_50``   SMTP connections per 50 emails (target <= 1: batches of
                                     ``OUTBOX_BATCH_SIZE`` share a connection)
``email_drain_duplicates``           messages the sink received beyond one per Message-ID (== 0)

The SMTP sink runs in a process of its own (``python -m bench.bench_email_drain serve``) and
counts Message-IDs, so a duplicate is seen even when the outbox thinks it sent once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

BUDGET_SECONDS = 240

MESSAGES = 2000
ROOT = Path(__file__).resolve().parent.parent
TEST_TEMPLATES = ROOT / "tests" / "dialogkonferanse" / "templates"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


# --- The SMTP sink process --------------------------------------------------------------------


class _Sink:
    """Accepts every message; counts connections and copies per Message-ID. With an arrivals
    file, also appends one JSON line per message (Message-ID, recipients, time.time()) as it
    arrives, so a benchmark can follow deliveries live and time each one."""

    def __init__(self, arrivals_path: str | None = None) -> None:
        self.connections = 0
        self.copies: Counter[str] = Counter()
        self.arrivals = Path(arrivals_path).open("a") if arrivals_path else None  # noqa: SIM115

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        match = _MESSAGE_ID.search(envelope.original_content or envelope.content)
        message_id = match.group(1).decode() if match else "(none)"
        self.copies[message_id] += 1
        if self.arrivals:
            line = {"id": message_id, "to": list(envelope.rcpt_tos), "t": time.time()}
            self.arrivals.write(json.dumps(line) + "\n")
            self.arrivals.flush()
        return "250 OK"


def serve(port: int, stats_path: str, arrivals_path: str | None = None) -> None:
    """Run aiosmtpd on 127.0.0.1:port until SIGTERM, then write the counts as JSON."""
    from aiosmtpd.controller import Controller

    sink = _Sink(arrivals_path)

    class CountingController(Controller):
        def factory(self) -> Any:
            sink.connections += 1
            return super().factory()

    controller = CountingController(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.connections -= 1  # start() connects once to check the server
    Path(stats_path + ".ready").touch()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    Path(stats_path).write_text(
        json.dumps(
            {
                "messages": sum(sink.copies.values()),
                "distinct": len(sink.copies),
                "duplicates": sum(n - 1 for n in sink.copies.values()),
                "connections": sink.connections,
            }
        )
    )


def smtp_sink(
    port: int, work_dir: Path, *, arrivals_path: Path | None = None
) -> contextlib.AbstractContextManager[dict[str, int]]:
    """A sink process on ``port``; the yielded dict is filled with its counts at exit.
    ``arrivals_path``: a file the sink appends one JSON line to per message received."""
    from bench.harness import smtp_process

    extra = (str(arrivals_path),) if arrivals_path else ()
    return smtp_process("bench.bench_email_drain", port, work_dir, *extra)


# --- The benchmark ----------------------------------------------------------------------------


def _queue_one_per_transaction(run_id: str) -> list[int]:
    """``MESSAGES`` emails through the real ``queue_email``, each committed on its own."""
    from django.db import transaction

    from dialogkonferanse.outbox.queue import queue_email

    ids = []
    for i in range(MESSAGES):
        with transaction.atomic():
            ids.append(
                queue_email(
                    kind="bench",
                    to=f"leverandor{i}@example.no",
                    language=("nb", "nn", "en")[i % 3],
                    template="outbox_test",
                    context={"headline": f"Velkommen {i}", "token": f"{run_id}x{i}"},
                    idempotency_key=f"drain:{run_id}:{i}",
                    secrets=[f"{run_id}x{i}"],
                ).pk
            )
    return ids


def _sent(ids: list[int]) -> int:
    from dialogkonferanse.choices import EmailStatus
    from dialogkonferanse.models import OutboundEmail

    return OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.SENT).count()


def _tasks_waiting(queue: str) -> int:
    from dialogkonferanse.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen(queue)


def run(ctx: Any) -> list[Any]:
    from bench.harness import EMAIL_WORKER, WORK_DIR, BenchError, BenchResult, free_port

    ctx.django_setup()
    from django.conf import settings

    # A neutral test email (template engines are built lazily, after this).
    settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]

    port = free_port()
    run_id = f"{os.getpid()}-{int(time.time())}"
    worker_env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_TIMEOUT": "10"}
    queue = ctx.env["CELERY_TASK_DEFAULT_QUEUE"]

    queue_started = time.perf_counter()
    ids = _queue_one_per_transaction(run_id)
    queue_seconds = time.perf_counter() - queue_started
    tasks_before = _tasks_waiting(queue)

    try:
        with smtp_sink(port, WORK_DIR) as stats:
            worker_started = time.perf_counter()
            with ctx.start_worker(**EMAIL_WORKER, extra_env=worker_env):
                ready = time.perf_counter()
                deadline = time.monotonic() + max(90.0, ctx.time_left() - 40)
                while (done := _sent(ids)) < len(ids):
                    if time.monotonic() > deadline:
                        raise BenchError(f"only {done} of {len(ids)} emails sent in time")
                    time.sleep(0.05)
                drained = time.perf_counter()
                # The tasks whose rows an earlier batch took still run: let them end, so a
                # second send of any row would reach the sink before it is stopped.
                while _tasks_waiting(queue) and time.monotonic() < deadline:
                    time.sleep(0.1)
                tasks_done = time.perf_counter()
                time.sleep(1.0)
    except RuntimeError as exc:
        raise BenchError(str(exc)) from exc

    seconds = drained - ready
    per_50 = stats["connections"] / (MESSAGES / 50)
    details = {
        "messages": MESSAGES,
        "queued_in_seconds": round(queue_seconds, 2),
        "send_tasks_waiting_at_start": tasks_before,
        "worker_startup_seconds": round(ready - worker_started, 2),
        "emails_per_second": round(MESSAGES / seconds, 1),
        # The tasks of rows an earlier batch took find nothing and end; this is when the last
        # of them was taken from the queue.
        "all_tasks_taken_seconds": round(tasks_done - ready, 2),
        "sink": stats,
        "batch_size": settings.OUTBOX_BATCH_SIZE,
        "worker": "celery {pool}, concurrency {concurrency}".format(**EMAIL_WORKER),
    }
    if stats.get("distinct") != MESSAGES:
        raise BenchError(f"the sink saw {stats.get('distinct')} distinct messages: {details}")
    return [
        BenchResult("email_drain_seconds", round(seconds, 2), "s", "<", 60, details),
        BenchResult("email_drain_connections_per_50", round(per_50, 3), "ratio", "<=", 1, details),
        BenchResult("email_drain_duplicates", stats["duplicates"], "count", "==", 0, details),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
