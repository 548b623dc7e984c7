"""Live Q&A at national scale: 5,000 event-stream viewers split across two web nodes behind the
proxy (bench/cluster.py: Debian's nginx with the compose configuration, two uvicorn nodes).

A moderator approves 20 questions and answers 5 while 1,000 viewers vote (through the proxy, as
browsers do). The same scenario with 10 viewers (and the same 1,000 voters, who then hold no
stream) is the baseline, measured on the same nodes in the same run. Figures:

``qa_fanout_approve_p95_ms`` / ``_p99_ms``  per approval, the time from its POST until every
    viewer's stream had it (the slowest viewer); p95 and p99 over the approvals.
``qa_fanout_approve_ratio``  that p95 at 5,000 viewers over the p95 at 10.
``qa_fanout_lost`` / ``_duplicated``  events of the viewers' channel a stream missed or got
    twice (every event stored during the run against every stream's ids).
``qa_fanout_memory_per_viewer_kb``  the nodes' resident memory with 5,000 streams connected
    minus before, per stream.
``qa_fanout_db_reads_per_event_delta``  reads of the live-event table (index and sequential
    scans, pg_stat_user_tables) per event at 5,000 viewers minus at 10: per-viewer reads
    would show here.
``qa_fanout_client_cpu_share``  the load client's CPU time over all CPU time of the run's
    processes (client, nodes, nginx): a client starving the servers would show here.

The load client is lean: raw asyncio transports (bench/sse_client.py) on uvloop, in
``CLIENT_PROCESSES`` processes, opening streams at ``CONNECT_RATE`` per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from bench.harness import WORK_DIR, BenchContext, BenchError, BenchResult
from bench.sse_client import Stream, percentile, run_client

NAME = "qa_fanout_5000"  # bench/run.py -k qa_fanout_5000
BUDGET_SECONDS = 480

VIEWERS = 5000
BASELINE_VIEWERS = 10
VOTERS = 1000
APPROVALS = 20
ANSWERS = 5
APPROVE_EVERY = 2.0  # seconds between two moderation actions
CLIENT_PROCESSES = 2
CONNECT_RATE = 250.0  # new streams per second, over all client processes
NODES = 2
OPENING_READS_SETTLE = 11.0  # seconds


# --- The load client (child processes) ----------------------------------------------------------


@dataclass
class FanoutStream(Stream):
    """A stream that keeps, beside each event id, the moment it arrived."""

    arrivals: list[float] = field(default_factory=list)

    def frame(self, raw: str, now: float) -> None:
        before = len(self.ids)
        super().frame(raw, now)
        if len(self.ids) > before:
            self.arrivals.append(now)


def _cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time of a process (this one by default), from /proc."""
    try:
        with open(f"/proc/{pid or os.getpid()}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _client_main(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    streams: list[FanoutStream] = []
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            host, port, path, cookies, rate = args
            streams = [FanoutStream(host, port, path, f"sessionid={c}") for c in cookies]
            errors: list[str] = []
            for stream in streams:
                try:
                    await stream.start()
                except OSError as exc:
                    errors.append(repr(exc))
                await asyncio.sleep(1 / rate)
            deadline = time.monotonic() + 60
            while not all(s.connected.is_set() for s in streams) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            refused = [s.error for s in streams if s.error][:3]
            connected = sum(s.connected.is_set() for s in streams)
            conn.send(("connected", connected, errors[:3] + refused))
        elif command == "progress":
            (event_id,) = args
            conn.send(("progress", sum(event_id in s.ids[-50:] for s in streams)))
        elif command == "collect":
            conn.send(
                (
                    "collected",
                    [(s.ids, s.arrivals) for s in streams],
                    _cpu_seconds(),
                )
            )
        elif command == "close":
            for stream in streams:
                await stream.close()
            streams = []
            conn.send(("closed",))
        elif command == "exit":
            return


def client_process(conn: Connection) -> None:
    """Entry point of one load-client process (spawned): streams on uvloop."""
    run_client(_client_main(conn))


class Clients:
    """The load-client processes, driven over pipes."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=client_process, args=(child,), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def ask(self, *message: Any, timeout: float = 120) -> list[tuple[Any, ...]]:
        for pipe in self.pipes:
            pipe.send(message)
        answers = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise BenchError(f"load client did not answer {message[0]!r} in {timeout:.0f}s")
            answers.append(pipe.recv())
        return answers

    def connect(self, host: str, port: int, path: str, cookies: list[str]) -> int:
        count = len(self.pipes)
        parts = [cookies[i::count] for i in range(count)]
        for pipe, part in zip(self.pipes, parts, strict=True):
            pipe.send(("connect", host, port, path, part, CONNECT_RATE / count))
        connected, problems = 0, []
        for pipe in self.pipes:
            if not pipe.poll(60 + len(cookies) / CONNECT_RATE * 2):
                raise BenchError("load client did not finish connecting")
            _, n, errors = pipe.recv()
            connected += n
            problems += errors
        if connected < len(cookies):
            raise BenchError(f"{len(cookies) - connected} streams did not connect: {problems}")
        return connected

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(p.pid) for p in self.processes)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            for pipe in self.pipes:
                pipe.send(("exit",))
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()


# --- Data -------------------------------------------------------------------------------------


def _setup(slug: str, registrations: int) -> dict[str, Any]:
    """A live conference, ``registrations`` registrations each with a session, awaiting
    questions to approve, and a moderator."""
    from bench.bench_qa import live_conference_with_viewers, moderator_session_key
    from qa.models import Question

    conference, rows, keys = live_conference_with_viewers(slug, registrations)
    questions = Question.objects.bulk_create(
        Question(
            conference=conference,
            registration=rows[n % len(rows)],
            text=f"Spørsmål {slug} {n}?",
            original_text=f"Spørsmål {slug} {n}?",
        )
        for n in range(APPROVALS)
    )
    return {
        "conference_id": conference.pk,
        "slug": slug,
        "cookies": keys,
        "questions": [q.pk for q in questions],
        "moderator_cookie": moderator_session_key(),
    }


def _live_event_reads(conn: Any) -> int:
    """Index plus sequential scans of the live-event table so far (pg_stat_user_tables)."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
        "WHERE relname = 'qa_liveevent'"
    ).fetchone()
    return int(row[0]) if row else 0


def _events_since(conference_id: int, after: int) -> list[tuple[int, str, dict[str, Any]]]:
    from qa.models import LiveEvent

    return list(
        LiveEvent.objects.filter(conference_id=conference_id, channel="viewers", id__gt=after)
        .order_by("id")
        .values_list("id", "kind", "payload")
    )


# --- One run ----------------------------------------------------------------------------------


CSRF = "benchfanoutcsrfsecret0123456789a"  # a CSRF cookie of our own (32 characters)


async def _moderate_and_vote(base_url: str, data: dict[str, Any]) -> dict[str, Any]:
    """Approve, answer and vote through the proxy; returns each approval's POST time."""
    import httpx

    slug = data["slug"]
    headers = {"X-Requested-With": "fetch", "X-CSRFToken": CSRF}
    moderator = httpx.AsyncClient(
        base_url=base_url,
        timeout=30,
        headers=headers,
        cookies={"sessionid": data["moderator_cookie"], "csrftoken": CSRF},
    )
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    voters = httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers, limits=limits)
    approved_at: dict[int, float] = {}
    published: list[int] = []
    vote_results: dict[str, int] = defaultdict(int)
    rng = random.Random(7)

    async def vote(cookie: str) -> None:
        if not published:
            return
        question = rng.choice(published)
        try:
            response = await voters.post(
                f"/me/{slug}/stream/questions/{question}/vote/",
                cookies={"sessionid": cookie, "csrftoken": CSRF},
            )
        except httpx.HTTPError as exc:
            vote_results[type(exc).__name__] += 1
        else:
            vote_results[str(response.status_code)] += 1

    async def voting(stop: asyncio.Event) -> None:
        pending: set[asyncio.Task[None]] = set()
        interval = (APPROVALS + ANSWERS) * APPROVE_EVERY / VOTERS
        for cookie in data["cookies"][:VOTERS]:
            if stop.is_set():
                break
            task = asyncio.create_task(vote(cookie))
            pending.add(task)
            task.add_done_callback(pending.discard)
            await asyncio.sleep(interval)
        await asyncio.gather(*pending)

    async def moderate(question: int, action: str, version: int, text: str = "") -> None:
        form = {"version": str(version), "csrfmiddlewaretoken": CSRF}
        if text:
            form["text"] = text
        response = await moderator.post(
            f"/moderate/{slug}/questions/{question}/{action}/", data=form
        )
        if response.status_code != 200:
            raise BenchError(f"{action} answered {response.status_code}: {response.text[:300]}")

    stop = asyncio.Event()
    votes_task = None
    try:
        for n, question in enumerate(data["questions"]):
            approved_at[question] = time.perf_counter()
            await moderate(question, "approve", 1)
            published.append(question)
            if votes_task is None:
                votes_task = asyncio.create_task(voting(stop))
            if n % (APPROVALS // ANSWERS) == APPROVALS // ANSWERS - 1:
                await asyncio.sleep(APPROVE_EVERY)
                await moderate(question, "answer", 2, text=f"Svar på {question}.")
            await asyncio.sleep(APPROVE_EVERY)
        if votes_task is not None:
            await votes_task
    finally:
        stop.set()
        if votes_task is not None and not votes_task.done():
            votes_task.cancel()
        await moderator.aclose()
        await voters.aclose()
    return {"approved_at": approved_at, "votes": dict(vote_results)}


def _scenario(
    ctx: BenchContext, cluster: Any, clients: Clients, data: dict[str, Any], viewers: int
) -> dict[str, Any]:
    import psycopg
    from asgiref.sync import async_to_sync

    from qa.live import latest_event_id

    host, port = "127.0.0.1", cluster.proxy_port
    start_id = latest_event_id(conference_id=data["conference_id"], channel="viewers")
    connected = clients.connect(
        host, port, f"/me/{data['slug']}/stream/events/", data["cookies"][:viewers]
    )
    # Every stream attached to its node's hub, and the reads of their openings counted: an idle
    # PostgreSQL backend reports its statistics up to 10 s late (PGSTAT_IDLE_INTERVAL), so
    # without this wait some openings would count as reads of the events that follow.
    time.sleep(OPENING_READS_SETTLE)
    rss = [cluster.node_rss_kb(i) for i in range(NODES)]
    split = _connections_per_node(cluster)
    cpu_before = _run_cpu(cluster, clients)
    with psycopg.connect(ctx.env["DATABASE_URL"], autocommit=True) as conn:
        reads_before = _live_event_reads(conn)
        started = time.monotonic()
        actions = async_to_sync(_moderate_and_vote)(cluster.url, data)
        # Every event stored by now must reach every stream.
        last = latest_event_id(conference_id=data["conference_id"], channel="viewers")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = sum(answer[1] for answer in clients.ask("progress", last))
            if got >= viewers:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        time.sleep(1.5)  # statistics are flushed at most once a second
        reads = _live_event_reads(conn) - reads_before
    cpu_after = _run_cpu(cluster, clients)
    collected = clients.ask("collect")
    clients.ask("close")
    events = _events_since(data["conference_id"], start_id)
    expected = [event_id for event_id, _, _ in events]
    lost = duplicated = 0
    approval_event: dict[int, int] = {}
    for event_id, kind, payload in events:
        if kind == "question" and payload.get("id") in actions["approved_at"]:
            approval_event.setdefault(payload["id"], event_id)
    seen_by_all: list[float] = []
    every_arrival: list[float] = []
    arrivals_by_event: dict[int, list[float]] = defaultdict(list)
    expected_set = set(expected)
    for _, streams, _ in collected:
        for ids, arrivals in streams:
            duplicated += len(ids) - len(set(ids))
            lost += len(expected_set - set(ids))
            for event_id, moment in zip(ids, arrivals, strict=True):
                arrivals_by_event[event_id].append(moment)
    for question, event_id in approval_event.items():
        moments = arrivals_by_event.get(event_id, [])
        t0 = actions["approved_at"][question]
        if len(moments) < viewers:
            continue  # counted as lost
        latencies = [(m - t0) * 1000 for m in moments]
        seen_by_all.append(max(latencies))
        every_arrival.extend(latencies)
    if len(seen_by_all) < APPROVALS:
        raise BenchError(f"only {len(seen_by_all)} of {APPROVALS} approvals reached every viewer")
    client_cpu = cpu_after["client"] - cpu_before["client"]
    servers_cpu = cpu_after["servers"] - cpu_before["servers"]
    return {
        "viewers": viewers,
        "connected": connected,
        "connections_per_node": split,
        "rss_kb_connected": rss,
        "seen_by_all_p50_ms": round(statistics.median(seen_by_all), 1),
        "seen_by_all_p95_ms": round(percentile(seen_by_all, 95), 1),
        "seen_by_all_p99_ms": round(percentile(seen_by_all, 99), 1),
        "arrival_p50_ms": round(percentile(every_arrival, 50), 1),
        "arrival_p95_ms": round(percentile(every_arrival, 95), 1),
        "events": len(expected),
        "events_by_kind": dict(_count(kind for _, kind, _ in events)),
        "lost": lost,
        "duplicated": duplicated,
        "live_event_reads": reads,
        "reads_per_event": round(reads / max(len(expected), 1), 2),
        "votes": actions["votes"],
        "seconds": round(elapsed, 1),
        "client_cpu_s": round(client_cpu, 2),
        "servers_cpu_s": round(servers_cpu, 2),
        "client_cpu_share": round(client_cpu / max(client_cpu + servers_cpu, 0.01), 3),
    }


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item] += 1
    return counts


def _run_cpu(cluster: Any, clients: Clients) -> dict[str, float]:
    """CPU seconds so far of the load client and of the servers (nodes and nginx)."""
    from bench.cluster import process_tree

    servers = [pid for i in range(NODES) for pid in cluster.node_pids(i)]
    if cluster.nginx is not None:
        servers += process_tree(cluster.nginx.pid)
    return {
        "client": clients.cpu_seconds(),
        "servers": sum(_cpu_seconds(pid) for pid in servers),
    }


def _connections_per_node(cluster: Any) -> list[int]:
    """Established TCP connections to each node's port (from /proc/net/tcp)."""
    ports = [node.port for node in cluster.nodes]
    counts = [0] * len(ports)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            next(handle)
            for line in handle:
                parts = line.split()
                local_port = int(parts[1].rsplit(":", 1)[1], 16)
                if parts[3] == "01" and local_port in ports:
                    counts[ports.index(local_port)] += 1
    return counts


# --- run --------------------------------------------------------------------------------------


def run(ctx: BenchContext) -> list[BenchResult]:
    from bench.cluster import Cluster, raise_nofile

    limit = raise_nofile()
    if limit < VIEWERS + 1000:
        raise BenchError(f"open-file limit {limit} is too low for {VIEWERS} streams")
    ctx.django_setup()
    subject_data = _setup("bench-qa-fanout-5000", VIEWERS)
    baseline_data = _setup("bench-qa-fanout-10", VOTERS)
    from django.db import connections

    connections.close_all()
    env = {
        **ctx.env,
        "QA_QUESTION_RATE_LIMIT": "",
        "QA_SSE_HEARTBEAT_SECONDS": "15",
        "DATABASE_POOL_MAX_SIZE": "20",
    }
    clients = Clients(CLIENT_PROCESSES)
    try:
        with (
            ctx.start_worker(concurrency=1, pool="solo", extra_env=env),
            Cluster(env, work_dir=WORK_DIR) as cluster,
        ):
            cluster.start(NODES)
            # Warm both nodes (imports, pools, the hub) with the baseline, then measure.
            baseline_a = _scenario(ctx, cluster, clients, baseline_data, BASELINE_VIEWERS)
            rss_before = [cluster.node_rss_kb(i) for i in range(NODES)]
            subject = _scenario(ctx, cluster, clients, subject_data, VIEWERS)
            baseline_data = _refresh(baseline_data)
            baseline_b = _scenario(ctx, cluster, clients, baseline_data, BASELINE_VIEWERS)
    finally:
        clients.stop()

    memory_kb = (sum(subject["rss_kb_connected"]) - sum(rss_before)) / VIEWERS
    base_p95 = statistics.mean([baseline_a["seen_by_all_p95_ms"], baseline_b["seen_by_all_p95_ms"]])
    base_reads = statistics.mean([baseline_a["reads_per_event"], baseline_b["reads_per_event"]])
    details = {"subject": subject, "baseline": [baseline_a, baseline_b]}
    return [
        BenchResult(
            "qa_fanout_approve_p95_ms", subject["seen_by_all_p95_ms"], "ms", "<", 1000, details
        ),
        BenchResult(
            "qa_fanout_approve_p99_ms", subject["seen_by_all_p99_ms"], "ms", "<", 2000, details
        ),
        BenchResult(
            "qa_fanout_approve_ratio",
            round(subject["seen_by_all_p95_ms"] / max(base_p95, 0.1), 2),
            "ratio",
            "<=",
            3,
            {"p95_5000_ms": subject["seen_by_all_p95_ms"], "p95_10_ms": base_p95},
        ),
        BenchResult("qa_fanout_lost", subject["lost"], "events", "==", 0, details),
        BenchResult("qa_fanout_duplicated", subject["duplicated"], "events", "==", 0, details),
        BenchResult(
            "qa_fanout_memory_per_viewer_kb",
            round(memory_kb, 1),
            "kB",
            "<",
            64,
            {"rss_kb_before": rss_before, "rss_kb_connected": subject["rss_kb_connected"]},
        ),
        BenchResult(
            "qa_fanout_db_reads_per_event_delta",
            round(subject["reads_per_event"] - base_reads, 2),
            "reads",
            "<=",
            1,
            {"per_event_5000": subject["reads_per_event"], "per_event_10": base_reads},
        ),
        BenchResult(
            "qa_fanout_client_cpu_share",
            subject["client_cpu_share"],
            "share",
            "<=",
            0.35,
            {"client_cpu_s": subject["client_cpu_s"], "servers_cpu_s": subject["servers_cpu_s"]},
        ),
    ]


def _refresh(data: dict[str, Any]) -> dict[str, Any]:
    """The baseline again: its questions were approved, so new ones to approve."""
    from django.db import connections

    from qa.models import Question
    from registrations.models import Registration

    registration = Registration.objects.filter(conference_id=data["conference_id"]).first()
    questions = Question.objects.bulk_create(
        Question(
            conference_id=data["conference_id"],
            registration=registration,
            text=f"Spørsmål igjen {n}?",
            original_text=f"Spørsmål igjen {n}?",
        )
        for n in range(APPROVALS)
    )
    connections.close_all()
    return {**data, "questions": [q.pk for q in questions]}
