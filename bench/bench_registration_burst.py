"""Registration burst: 40 registrations per second offered for 60 s through the real stack.

Twice a realistic invitation burst: gunicorn with uvicorn workers (the production server, two
worker processes per core as the Dockerfile advises), PostgreSQL, Redis, one Celery worker
(the email worker as deployed: a pool of 8 threads, ``harness.EMAIL_WORKER``) and the SMTP
sink of ``bench_email_drain`` (aiosmtpd in a process of its own) that logs every message with
its Message-ID, recipients and arrival time.

The load is **open-loop**: registration ``i`` starts at ``i / rate`` seconds whether or not the
earlier ones have finished, so a slow server meets a growing queue instead of a politely
waiting client (a closed loop would hide exactly the latency a burst causes). Each
registration is a new supplier through the real form: GET the page (CSRF cookie and token),
then POST it; the POST is timed from sending to the complete response, the 302 is not
followed. asyncio + h11 (lean: the client shares the machine), one event loop, and a **new
connection per request** (no keep-alive, no pool limit): as from many visitors, new
connections spread over the server's worker processes, and no request ever waits client-side
for a free pooled connection, which would add client queueing to the measured latency.

Figures:

- ``registration_burst_p95_ms``: POST latency p95 (target < 300 ms); p50/p99 in details.
- ``registration_burst_errors``: GETs or POSTs answered >= 400, or transport errors (== 0).
- ``registration_burst_delivered_within_120s``: suppliers whose confirmation reached the sink
  exactly once within 120 s of the start (== registrations offered).
- ``registration_burst_duplicates``: messages beyond one per supplier (== 0).
- ``registration_burst_client_cpu``: the load client's CPU in cores during the burst (< 0.5:
  the client did not starve the server of CPU).

Parameters (environment, passed through ``bench/run.py -k registration_burst``):
``BENCH_REGISTRATION_BURST_RATE`` (default 40 per second) and
``BENCH_REGISTRATION_BURST_SECONDS`` (default 60; multiplied by ``--scale``, so
``--scale 0.05`` is a 3 s smoke run of 120 registrations).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import re
import resource
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.harness import (
    EMAIL_WORKER,
    WORK_DIR,
    BenchContext,
    BenchError,
    BenchResult,
    free_port,
    web_concurrency,
)

# Worst case: start-up, 30 s quiet wait, the 120 s delivery window, settling, shutdown. Kept
# tight: this module runs last in `make bench`, whose total is bounded by run.py --max-total.
BUDGET_SECONDS = 210

SLUG = "bench-registration-burst"
DEFAULT_RATE = 40.0
DEFAULT_SECONDS = 60.0
DELIVERY_WINDOW_SECONDS = 120.0
TARGET_P95_MS = 300
TARGET_CLIENT_CPU = 0.5
REQUEST_TIMEOUT = 30.0
# Latency is the figure: wait up to this long for the machine's other work (the previous
# module winding down) to end, as the load profile does; the wait is recorded.
QUIET_WAIT_SECONDS = 30.0
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Pure parts (tested in tests/bench/test_registration_burst.py) ----------------------------


def parameters(environ: Mapping[str, str], scale: float) -> tuple[float, float]:
    """(rate per second, seconds) from the environment; seconds scaled by ``--scale``."""
    rate = float(environ.get("BENCH_REGISTRATION_BURST_RATE") or DEFAULT_RATE)
    seconds = float(environ.get("BENCH_REGISTRATION_BURST_SECONDS") or DEFAULT_SECONDS)
    if rate <= 0 or seconds <= 0:
        raise BenchError(f"rate and seconds must be positive, not {rate} and {seconds}")
    return rate, seconds * scale


def schedule(rate: float, seconds: float) -> list[float]:
    """Start offsets in seconds: evenly spaced at ``rate``, ``round(rate * seconds)`` of them.

    Even spacing rather than Poisson arrivals: the offered rate is then exactly the stated one
    at every moment, and runs compare with each other.
    """
    return [i / rate for i in range(round(rate * seconds))]


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p % of values at or below)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def tally_deliveries(
    arrivals: Iterable[dict[str, Any]], expected: set[str], *, start: float, window: float
) -> dict[str, int]:
    """What the sink received for the expected recipients (one confirmation each).

    ``delivered_within``: recipients with exactly one message, arrived within ``window``
    seconds of ``start`` (``time.time()``). ``duplicates``: messages beyond one per recipient,
    whether a second copy of the same Message-ID or a second email.
    """
    per_recipient: dict[str, list[float]] = defaultdict(list)
    per_message: Counter[str] = Counter()
    unexpected = 0
    for arrival in arrivals:
        per_message[arrival["id"]] += 1
        for recipient in arrival["to"]:
            if recipient.lower() in expected:
                per_recipient[recipient.lower()].append(arrival["t"])
            else:
                unexpected += 1
    once = [times[0] for times in per_recipient.values() if len(times) == 1]
    return {
        "expected": len(expected),
        "received": len(per_recipient),
        "delivered_within": sum(1 for t in once if t - start <= window),
        "late": sum(1 for t in once if t - start > window),
        "missing": len(expected) - len(per_recipient),
        "duplicates": sum(len(times) - 1 for times in per_recipient.values()),
        "message_id_copies_beyond_one": sum(n - 1 for n in per_message.values()),
        "unexpected_recipients": unexpected,
    }


# --- The load client --------------------------------------------------------------------------

# The client shares the machine with the server it loads, so it is kept lean: HTTP/1.1 spoken
# with h11 (the protocol library under httpx) straight over asyncio streams, one new connection
# per request. httpx's client machinery cost about 10 ms of CPU per registration here, a fifth
# of the machine at 40 per second; this costs a fraction of that. (``registration_burst_client_cpu``
# keeps reporting it.)


class _HTTPError(Exception):
    """A request that got no complete response (refused, reset, timed out, malformed)."""


@dataclasses.dataclass
class _Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookie(self, name: str) -> str | None:
        prefix = name.encode() + b"="
        for key, value in self.headers:
            if key == b"set-cookie" and value.startswith(prefix):
                return value[len(prefix) :].split(b";", 1)[0].decode()
        return None


async def _http(
    url: str, method: str, headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> _Response:
    """One request on a new connection (``Connection: close``), the whole response read."""
    import h11

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")

    async def exchange() -> _Response:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            conn = h11.Connection(h11.CLIENT)
            head = [("Host", parts.netloc), ("Connection", "close"), *(headers or [])]
            if body:
                head.append(("Content-Length", str(len(body))))
            data = conn.send(h11.Request(method=method, target=target, headers=head))
            if body:
                data += conn.send(h11.Data(data=body))
            writer.write(data + conn.send(h11.EndOfMessage()))
            response: h11.Response | None = None
            chunks: list[bytes] = []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage) and response is not None:
                    return _Response(response.status_code, list(response.headers), b"".join(chunks))
                elif isinstance(event, h11.ConnectionClosed):
                    raise _HTTPError("connection closed before the response ended")
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(exchange(), REQUEST_TIMEOUT)
    except (OSError, TimeoutError, h11.ProtocolError, _HTTPError) as exc:
        raise _HTTPError(type(exc).__name__) from exc


@dataclasses.dataclass
class Outcome:
    index: int
    email: str
    late_ms: float = 0.0  # start behind schedule (the client's own lag)
    get_ms: float | None = None
    post_ms: float | None = None
    status: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status is not None and self.status < 400


def _form(email: str, tag: str) -> dict[str, str]:
    return {
        "organisation_name": f"Leverandør {tag} AS",
        "country": "NO",
        "organisation_number": "974 760 673",
        "contact_name": f"Kari Nordmann {tag}",
        "email": email,
        "phone": "+47 400 00 000",
        "language": "nb",
        "wants_one_to_one": "on",
        "one_to_one_topics": "Sensorer på bøyer og dekning langs kysten.",
        "listed_publicly": "on",
        "open_to_partnering": "on",
        "privacy_acknowledged": "on",
    }


async def _register(url: str, outcome: Outcome, tag: str, at: float, t0: float) -> Outcome:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, t0 + at - loop.time()))
    outcome.late_ms = (loop.time() - (t0 + at)) * 1000
    try:
        started = time.perf_counter()
        page = await _http(url, "GET")
        outcome.get_ms = (time.perf_counter() - started) * 1000
        cookie = page.cookie("csrftoken")
        match = _CSRF_INPUT.search(page.text)
        if page.status >= 400 or not cookie or not match:
            outcome.status = page.status
            outcome.error = f"GET {page.status}" + ("" if match else " without CSRF token")
            return outcome
        body = urlencode({**_form(outcome.email, tag), "csrfmiddlewaretoken": match.group(1)})
        headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", f"csrftoken={cookie}"),
            ("Referer", url),
        ]
        started = time.perf_counter()
        response = await _http(url, "POST", headers, body.encode())
        outcome.post_ms = (time.perf_counter() - started) * 1000
        outcome.status = response.status
    except _HTTPError as exc:
        outcome.error = str(exc)
    return outcome


async def offer_load(url: str, starts: list[float], run_tag: str) -> list[Outcome]:
    """Start one registration per offset in ``starts`` (seconds from now), open-loop."""
    t0 = asyncio.get_running_loop().time() + 0.2
    tasks = [
        asyncio.create_task(
            _register(
                url, Outcome(i, f"burst-{run_tag}-{i}@bench.example"), f"{run_tag}-{i}", at, t0
            )
        )
        for i, at in enumerate(starts)
    ]
    return await asyncio.gather(*tasks)


# --- The benchmark ----------------------------------------------------------------------------


def _read_arrivals(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    # The sink may be writing the last line right now: take complete ones only.
    return [json.loads(line) for line in lines if line.endswith("}")]


def _tasks_waiting(broker_url: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (Linux /proc/stat), 0 if unreadable: the
    difference over the burst minus the stack's own share shows what else the machine ran."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _ms(values: list[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(values, p), 1) for p in (50, 90, 95, 99)} | {
        "max": round(max(values, default=0.0), 1),
        "count": len(values),
    }


def run(ctx: BenchContext) -> list[BenchResult]:
    from bench.bench_email_drain import smtp_sink
    from bench.bench_load import _cpu_seconds, _wait_for_quiet_machine
    from bench.bench_registration import NO_LIMITS

    rate, seconds = parameters(os.environ, ctx.scale)
    starts = schedule(rate, seconds)

    ctx.django_setup()
    from tests.factories import make_conference

    make_conference(slug=SLUG, offers_one_to_one=True)
    from django.db import connections

    connections.close_all()  # the module holds no connection during the burst

    port = free_port()
    mail_env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_TIMEOUT": "10"}
    run_tag = secrets.token_hex(3)
    arrivals_path = WORK_DIR / f"registration-burst-arrivals-{os.getpid()}.jsonl"
    arrivals_path.unlink(missing_ok=True)
    expected = {f"burst-{run_tag}-{i}@bench.example" for i in range(len(starts))}
    workers = web_concurrency()
    queue = ctx.env["CELERY_TASK_DEFAULT_QUEUE"]

    try:
        with (
            smtp_sink(port, WORK_DIR, arrivals_path=arrivals_path) as sink_stats,
            ctx.start_server(extra_env={**NO_LIMITS, **mail_env}) as server,
            ctx.start_worker(**EMAIL_WORKER, extra_env=mail_env) as worker,
        ):
            url = server.url(f"/conferences/{SLUG}/register/")
            # A burst meets a server that has been up for a while: let each worker process
            # open its database connections and compile the templates first, and the Celery
            # worker send once. These registrations are not counted.
            warm = asyncio.run(offer_load(url, schedule(4, 2), f"warmup-{run_tag}"))
            if not all(o.ok for o in warm):
                raise BenchError(f"warm-up registrations failed: {warm}")
            warm_deadline = time.monotonic() + 30
            while len(_read_arrivals(arrivals_path)) < len(warm):
                if time.monotonic() > warm_deadline:
                    raise BenchError("warm-up confirmations did not arrive within 30 s")
                time.sleep(0.1)
            waited = _wait_for_quiet_machine(QUIET_WAIT_SECONDS)
            load_at_start = [round(x, 2) for x in os.getloadavg()]
            machine_before = _machine_busy_seconds()
            server_cpu_before = _cpu_seconds(server.process.pid)
            worker_cpu_before = _cpu_seconds(worker.process.pid)
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            wall_start = time.time()
            started = time.monotonic()
            outcomes = asyncio.run(offer_load(url, starts, run_tag))
            load_seconds = time.monotonic() - started
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu = _cpu_seconds(server.process.pid) - server_cpu_before
            machine_busy = _machine_busy_seconds() - machine_before

            # Wait for the confirmations: all of the registered ones, or the window's end.
            registered = sum(1 for o in outcomes if o.ok)
            deadline = started + DELIVERY_WINDOW_SECONDS + 2
            while time.monotonic() < deadline:
                received = {
                    r.lower() for a in _read_arrivals(arrivals_path) for r in a["to"]
                } & expected
                if len(received) >= registered:
                    break
                time.sleep(0.25)
            all_in = time.monotonic() - started
            # Let the tasks still queued (rows an earlier batch already sent) end, so a second
            # send of any row reaches the sink before it stops.
            settle = time.monotonic() + 10
            while _tasks_waiting(ctx.env["CELERY_BROKER_URL"], queue) and time.monotonic() < settle:
                time.sleep(0.25)
            time.sleep(2.0)
            worker_cpu = _cpu_seconds(worker.process.pid) - worker_cpu_before
    except BenchError:
        raise
    except RuntimeError as exc:  # the SMTP sink did not start
        raise BenchError(str(exc)) from exc

    arrivals = _read_arrivals(arrivals_path)
    tally = tally_deliveries(arrivals, expected, start=wall_start, window=DELIVERY_WINDOW_SECONDS)
    first_arrival = {a["to"][0].lower(): a["t"] for a in reversed(arrivals) if a["to"]}
    delivery_seconds = sorted(t - wall_start for r, t in first_arrival.items() if r in expected)
    post_ms = [o.post_ms for o in outcomes if o.post_ms is not None]
    errors = [o for o in outcomes if not o.ok]
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    details = {
        "offered_rate_per_second": rate,
        "offered_seconds": round(seconds, 1),
        "registrations_offered": len(starts),
        "registrations_accepted": registered,
        "statuses": dict(Counter(str(o.status or o.error) for o in outcomes)),
        "error_examples": sorted({f"{o.status} {o.error}".strip() for o in errors})[:5],
        "post_ms": _ms(post_ms),
        "get_ms": _ms([o.get_ms for o in outcomes if o.get_ms is not None]),
        # How far behind schedule the client started requests: large values would mean the
        # client, not the server, limited the offered rate.
        "start_late_ms": _ms([o.late_ms for o in outcomes]),
        "load_seconds": round(load_seconds, 1),
        "all_confirmations_seconds": round(all_in, 1),
        "delivery_seconds_after_start": {
            "p50": round(percentile(delivery_seconds, 50), 1),
            "p95": round(percentile(delivery_seconds, 95), 1),
            "max": round(max(delivery_seconds, default=0.0), 1),
        },
        "deliveries": tally,
        "warmup_registrations": len(warm),  # before the clock starts; their emails are the
        # "unexpected_recipients" of the tally
        "sink": sink_stats,
        "client": "asyncio + h11, open-loop, new connection per request",
        "client_cpu_seconds": round(client_cpu, 1),
        "server_cpu_cores": round(server_cpu / load_seconds, 2),
        "worker_cpu_seconds": round(worker_cpu, 1),
        "server": f"gunicorn, {workers} uvicorn workers",
        "worker": "celery {pool}, concurrency {concurrency} (the email worker)".format(
            **EMAIL_WORKER
        ),
        "machine_busy_cores": round(machine_busy / load_seconds, 2),
        "cores": os.cpu_count(),
        "waited_for_quiet_seconds": waited,
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    return [
        BenchResult(
            "registration_burst_p95_ms",
            round(percentile(post_ms, 95), 1),
            "ms",
            "<",
            TARGET_P95_MS,
            details,
        ),
        BenchResult("registration_burst_errors", len(errors), "count", "==", 0, details),
        BenchResult(
            "registration_burst_delivered_within_120s",
            tally["delivered_within"],
            "count",
            "==",
            len(starts),
            details,
        ),
        BenchResult(
            "registration_burst_duplicates", tally["duplicates"], "count", "==", 0, details
        ),
        BenchResult(
            "registration_burst_client_cpu",
            round(client_cpu / load_seconds, 2),
            "cores",
            "<",
            TARGET_CLIENT_CPU,
            details,
        ),
    ]
