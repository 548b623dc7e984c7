"""Email outbox: how fast a real Celery worker drains the outbox into an SMTP server.

``email_ratio`` is the rate at which a worker process delivers 1,000 freshly queued outbox
emails to a local aiosmtpd server, over the rate of a plain ``smtplib`` loop sending the same
messages over one connection to the same server (interleaved rounds, medians).
``email_connections_per_50`` proves the worker batches: SMTP connections per 50 messages.
The target of ``email_ratio`` is a regression floor (0.25), not a goal: realistic load is
``email_drain`` (bench_email_drain.py), and the outbox spends its time in Django's ORM rather than
in hand-written SQL.

The SMTP server runs in a process of its own (``python -m bench.bench_email serve``), so the
baseline client and the server never share a GIL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import smtplib
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

BUDGET_SECONDS = 240

MESSAGES = 1000
ROUNDS = 3
WORKER_CONCURRENCY = os.cpu_count() or 2
ROOT = Path(__file__).resolve().parent.parent
TEST_TEMPLATES = ROOT / "tests" / "dialogkonferanse" / "templates"


# --- The SMTP server process ------------------------------------------------------------------


class CountingHandler:
    """Accepts every message; counts messages and connections (written out at exit)."""

    def __init__(self) -> None:
        self.messages = 0
        self.connections = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


def serve(port: int, stats_path: str) -> None:
    """Run aiosmtpd on 127.0.0.1:port until SIGTERM, then write the counts as JSON."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()

    class CountingController(Controller):
        def factory(self) -> Any:
            handler.connections += 1
            return super().factory()

    controller = CountingController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.connections -= 1  # start() connects once to check the server
    Path(stats_path + ".ready").touch()  # a readiness probe from outside would count too
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    Path(stats_path).write_text(
        json.dumps({"messages": handler.messages, "connections": handler.connections})
    )


def smtp_server(port: int, work_dir: Path) -> contextlib.AbstractContextManager[dict[str, int]]:
    """A fresh counting server process on ``port``; the yielded dict holds its counts at exit."""
    from bench.harness import smtp_process

    return smtp_process("bench.bench_email", port, work_dir)


# --- The benchmark ----------------------------------------------------------------------------


def _queue_batch(round_no: int) -> list[int]:
    """Queue ``MESSAGES`` emails through the real ``queue_email``; tasks go out at commit."""
    from django.db import transaction

    from dialogkonferanse.outbox.queue import queue_email

    with transaction.atomic():
        ids = [
            queue_email(
                kind="bench",
                to=f"leverandor{round_no}-{i}@example.no",
                language=("nb", "nn", "en")[i % 3],
                template="outbox_test",
                context={"headline": f"Velkommen {i}", "token": f"{round_no}x{i}"},
                idempotency_key=f"bench:{os.getpid()}:{round_no}:{i}",
            ).pk
            for i in range(MESSAGES)
        ]
        # The clock starts when the change commits: from here on it is the worker's job.
        started = time.perf_counter()
    return [started, *ids]


def _wait_sent(ids: list[int], timeout: float) -> float:
    from dialogkonferanse.choices import EmailStatus
    from dialogkonferanse.models import OutboundEmail

    deadline = time.monotonic() + timeout
    while True:
        done = OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.SENT).count()
        if done == len(ids):
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {len(ids)} emails sent within {timeout} s")
        time.sleep(0.05)


def _baseline_messages(ids: list[int]) -> list[tuple[str, list[str], bytes]]:
    from django.conf import settings

    from dialogkonferanse.models import OutboundEmail
    from dialogkonferanse.outbox.delivery import build_message

    emails = OutboundEmail.objects.filter(pk__in=ids).prefetch_related("attachments")
    out = []
    for email in emails:
        message = build_message(email)
        out.append(
            (
                settings.DEFAULT_FROM_EMAIL,
                [email.to_email],
                message.message().as_bytes(linesep="\r\n"),
            )
        )
    return out


def _smtplib_rate(port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for from_addr, to_addrs, data in messages:
            client.sendmail(from_addr, to_addrs, data)
    return len(messages) / (time.perf_counter() - started)


def run(ctx: Any) -> list[Any]:
    from bench.harness import WORK_DIR, BenchError, BenchResult

    ctx.django_setup()
    from django.conf import settings

    # The bench renders a neutral test email (template engines are built lazily, after this).
    settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]

    from bench.harness import free_port

    port = free_port()
    worker_env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_TIMEOUT": "10"}
    worker_rates: list[float] = []
    baseline_rates: list[float] = []
    connections: list[int] = []
    delivered: list[int] = []
    try:
        # The worker as deployed: prefork with one process per core (Celery's default).
        with ctx.start_worker(concurrency=WORKER_CONCURRENCY, extra_env=worker_env):
            for round_no in range(ROUNDS):
                if round_no and ctx.time_left() < 60:
                    break
                with smtp_server(port, WORK_DIR) as stats:
                    started, *ids = _queue_batch(round_no)
                    finished = _wait_sent(ids, timeout=max(30.0, ctx.time_left() - 30))
                worker_rates.append(len(ids) / (finished - started))
                connections.append(stats["connections"])
                delivered.append(stats["messages"])
                messages = _baseline_messages(ids)
                with smtp_server(port, WORK_DIR):
                    baseline_rates.append(_smtplib_rate(port, messages))
    except RuntimeError as exc:
        raise BenchError(str(exc)) from exc

    if any(count != MESSAGES for count in delivered):
        raise BenchError(f"the SMTP server received {delivered}, expected {MESSAGES} per round")
    worker_rate = statistics.median(worker_rates)
    baseline_rate = statistics.median(baseline_rates)
    per_50 = max(connections) / (MESSAGES / 50)
    details = {
        "messages_per_round": MESSAGES,
        "worker_rates_per_s": [round(r, 1) for r in worker_rates],
        "smtplib_rates_per_s": [round(r, 1) for r in baseline_rates],
        "worker_rate_median": round(worker_rate, 1),
        "smtplib_rate_median": round(baseline_rate, 1),
        "smtp_connections_per_round": connections,
        "batch_size": settings.OUTBOX_BATCH_SIZE,
        "worker": f"celery prefork, concurrency {WORKER_CONCURRENCY}",
    }
    return [
        BenchResult(
            "email_ratio", round(worker_rate / baseline_rate, 3), "ratio", ">=", 0.25, details
        ),
        BenchResult(
            "email_connections_per_50",
            round(per_50, 3),
            "connections",
            "<=",
            1,
            {"smtp_connections_per_round": connections, "messages_per_round": MESSAGES},
        ),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]), sys.argv[3])
