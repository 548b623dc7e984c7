"""Live Q&A: latency of live updates with 1,000 connected viewer streams (10 as the baseline in
the same server), lost/duplicated events across forced reconnects, and fixed query counts.

``qa_latency_*``: the time from a question POST until the moderator's event stream has it, and
from an approval POST until every viewer's stream has it. ``qa_reconnect_*``: viewer streams
cut 100 times during a burst of events, each resuming from its Last-Event-ID. ``qa_queries_*``:
the dashboard and viewer pages run as many queries with 4 questions (one in each status, so both
pages take every path that depends on a status being present, such as the dashboard's duplicate
suggestions for awaiting questions) as with 200.

The streams are read by one client on uvloop (bench/sse_client.py), in the bench process; its CPU
time per sample is in the details (``client_cpu_ms_per_sample``), since its own reading of 1,000
streams is part of the measured arrival times.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import threading
import time
from typing import Any

from bench.harness import BenchContext, BenchError, BenchResult
from bench.sse_client import Stream, Watch, run_client
from bench.sse_client import percentile as _pct

BUDGET_SECONDS = 300

VIEWERS = 1000
BASELINE_VIEWERS = 10
SAMPLES = 25
WARMUP = 3  # first samples of each run dropped (connection set-up, caches)
RECONNECT_STREAMS = 20
RECONNECTS = 100
BURST_EVENTS = 300
SMALL_QUESTIONS = 4  # published, answered, awaiting, rejected: one of each

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Data -------------------------------------------------------------------------------------


def live_conference_with_viewers(slug: str, viewers: int) -> tuple[Any, list[Any], list[str]]:
    """A live conference with ``viewers`` registrations, each signed in on a session of its
    own: (conference, registrations, session keys). Written in bulk, for thousands."""
    import datetime as dt

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from conferences.choices import ConferenceStatus
    from registrations.access import SESSION_KEY
    from registrations.models import Registration
    from tests.factories import make_conference

    now = timezone.now()
    conference = make_conference(
        slug=slug,
        status=ConferenceStatus.LIVE,
        starts_at=now - dt.timedelta(minutes=5),
        registration_opens_at=now - dt.timedelta(days=2),
        registration_closes_at=now - dt.timedelta(minutes=10),
    )
    registrations = Registration.objects.bulk_create(
        (
            Registration(
                conference=conference,
                organisation_name=f"Leverandør {n} AS",
                contact_name=f"Kontakt {n}",
                email=f"viewer{n}@{slug}.example",
                privacy_acknowledged_at=now,
            )
            for n in range(viewers)
        ),
        batch_size=1000,
    )
    store = SessionStore()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    sessions = Session.objects.bulk_create(
        (
            Session(
                session_key=get_random_string(32, alphabet),
                session_data=store.encode({SESSION_KEY: {slug: [r.pk, r.session_secret]}}),
                expire_date=now + dt.timedelta(days=1),
            )
            for r in registrations
        ),
        batch_size=1000,
    )
    return conference, registrations, [s.session_key for s in sessions]


def moderator_session_key() -> str:
    """The session key of a new moderator, signed in."""
    from django.test import Client

    from tests.factories import make_moderator

    client = Client()
    client.force_login(make_moderator())
    return client.cookies["sessionid"].value


def _setup(slug: str, viewers: int) -> dict[str, Any]:
    """A live conference, ``viewers`` registrations each with a session, and a moderator."""
    conference, registrations, keys = live_conference_with_viewers(slug, viewers)
    return {
        "conference": conference,
        "registrations": registrations,
        "cookies": [f"sessionid={key}" for key in keys],
        "moderator_cookie": f"sessionid={moderator_session_key()}",
    }


def _csrf(server: Any, path: str, cookie: str) -> tuple[str, str]:
    response = server.get(path, headers={"Cookie": cookie})
    match = _CSRF_INPUT.search(response.text)
    token_cookie = response.cookies.get("csrftoken")
    if response.status_code != 200 or not token_cookie:
        raise BenchError(f"GET {path} answered {response.status_code} without a CSRF cookie")
    # A page whose forms arrive later (the dashboard) has none yet: the cookie's secret is a
    # valid token too.
    return token_cookie, match.group(1) if match else token_cookie


# --- qa_latency -------------------------------------------------------------------------------


async def _latency_run(server: Any, data: dict[str, Any], viewers: int) -> dict[str, Any]:
    import httpx

    from qa.models import Question

    slug = data["conference"].slug
    host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])
    streams = [
        Stream(host, port, f"/me/{slug}/stream/events/", cookie)
        for cookie in data["cookies"][:viewers]
    ]
    moderator = Stream(host, port, f"/moderate/{slug}/events/", data["moderator_cookie"])
    for stream in [*streams, moderator]:
        await stream.start()
        await asyncio.sleep(0.002)  # do not SYN-flood the listen backlog
    deadline = time.monotonic() + 60
    while not all(s.connected.is_set() for s in [*streams, moderator]):
        if time.monotonic() > deadline:
            failed = [s.error for s in streams if s.error]
            raise BenchError(f"streams did not connect: {failed[:3]}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # every stream subscribed (replay done)

    asker_cookie = data["cookies"][0]
    ask_cookie, ask_token = await asyncio.to_thread(
        _csrf, server, f"/me/{slug}/stream/", asker_cookie
    )
    mod_cookie, mod_token = await asyncio.to_thread(
        _csrf, server, f"/moderate/{slug}/", data["moderator_cookie"]
    )
    ask_latencies: list[float] = []
    approve_latencies: list[float] = []
    approve_all: list[float] = []
    cpu_before = time.process_time()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        for sample in range(SAMPLES):
            seen = len(moderator.frames)
            t0 = time.perf_counter()
            response = await client.post(
                f"/me/{slug}/stream/ask/",
                data={"text": f"Spørsmål {viewers}-{sample}?", "csrfmiddlewaretoken": ask_token},
                headers={
                    "Cookie": f"{asker_cookie}; csrftoken={ask_cookie}",
                    "Referer": f"{server.base_url}/me/{slug}/stream/",
                },
            )
            if response.status_code != 302:
                raise BenchError(f"ask answered {response.status_code}: {response.text[:300]}")
            while len(moderator.frames) == seen:
                if time.perf_counter() - t0 > 10:
                    raise BenchError("the question never reached the moderator's stream")
                await asyncio.sleep(0.001)
            arrival, _, payload = moderator.frames[seen]
            ask_latencies.append((arrival - t0) * 1000)
            question_id = int(re.search(r'"id":(\d+)', payload).group(1))  # type: ignore[union-attr]

            watch = Watch(f'"id":{question_id},', len(streams))
            for stream in streams:
                stream.watch = watch
            t0 = time.perf_counter()
            response = await client.post(
                f"/moderate/{slug}/questions/{question_id}/approve/",
                data={"version": "1", "csrfmiddlewaretoken": mod_token},
                headers={
                    "Cookie": f"{data['moderator_cookie']}; csrftoken={mod_cookie}",
                    "Referer": f"{server.base_url}/moderate/{slug}/",
                },
            )
            if response.status_code != 302:
                raise BenchError(f"approve answered {response.status_code}")
            try:
                await asyncio.wait_for(watch.done.wait(), 10)
            except TimeoutError:
                missing = len(streams) - len(watch.arrivals)
                raise BenchError(f"{missing} viewers never got the approval") from None
            arrivals = [(arrival - t0) * 1000 for arrival in watch.arrivals.values()]
            if sample < WARMUP:
                ask_latencies.pop()
                continue
            approve_latencies.extend(arrivals)
            approve_all.append(max(arrivals))
            await asyncio.sleep(0.2)
    client_cpu_ms = (time.process_time() - cpu_before) * 1000 / SAMPLES
    for stream in [*streams, moderator]:
        await stream.cut()
    await asyncio.to_thread(lambda: Question.objects.filter(conference=data["conference"]).count())
    return {
        "viewers": viewers,
        "ask_p50_ms": round(statistics.median(ask_latencies), 1),
        "ask_p95_ms": round(_pct(ask_latencies, 95), 1),
        "approve_p50_ms": round(statistics.median(approve_latencies), 1),
        "approve_p95_ms": round(_pct(approve_latencies, 95), 1),
        "approve_every_viewer_p95_ms": round(_pct(approve_all, 95), 1),
        "samples": SAMPLES - WARMUP,
        "client_cpu_ms_per_sample": round(client_cpu_ms, 1),
    }


# --- qa_reconnect -----------------------------------------------------------------------------


def _burst(conference_id: int, count: int, threads: int = 4) -> None:
    """Questions approved by several writers at once (out-of-order commits are possible)."""
    from django.db import connection

    from conferences.models import Conference
    from qa import services
    from qa.models import Question
    from registrations.models import Registration

    conference = Conference.objects.get(pk=conference_id)
    registration = Registration.objects.filter(conference=conference).first()
    ids = [
        q.pk
        for q in Question.objects.bulk_create(
            Question(
                conference=conference,
                registration=registration,
                text=f"Burst {n}?",
                original_text=f"Burst {n}?",
            )
            for n in range(count)
        )
    ]
    chunks = [ids[i::threads] for i in range(threads)]

    def work(chunk: list[int]) -> None:
        try:
            for question_id in chunk:
                services.approve_question(
                    conference_id=conference_id,
                    question_id=question_id,
                    moderator=None,
                    expected_version=1,
                )
                time.sleep(random.uniform(0, 0.01))
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


async def _reconnect_run(server: Any, data: dict[str, Any]) -> dict[str, Any]:
    from qa.live import latest_event_id
    from qa.models import LiveEvent

    conference = data["conference"]
    slug = conference.slug
    host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])
    start_id = await asyncio.to_thread(
        latest_event_id, conference_id=conference.pk, channel="viewers"
    )
    streams = [
        Stream(host, port, f"/me/{slug}/stream/events/", cookie, last_id=str(start_id))
        for cookie in data["cookies"][:RECONNECT_STREAMS]
    ]
    for stream in streams:
        await stream.start()
    await asyncio.sleep(1.0)
    burst = asyncio.get_running_loop().run_in_executor(None, _burst, conference.pk, BURST_EVENTS)
    reconnects = 0
    while reconnects < RECONNECTS and not burst.done():
        stream = random.choice(streams)
        await stream.cut()
        await stream.start()  # resumes with Last-Event-ID = the last id it received
        reconnects += 1
        await asyncio.sleep(random.uniform(0.005, 0.03))
    await burst
    while reconnects < RECONNECTS:  # the burst was quicker: cut the rest after it
        stream = random.choice(streams)
        await stream.cut()
        await stream.start()
        reconnects += 1
    await asyncio.sleep(3.0)  # let every stream catch up
    expected = await asyncio.to_thread(
        lambda: list(
            LiveEvent.objects.filter(
                conference=conference, channel="viewers", id__gt=start_id
            ).values_list("id", flat=True)
        )
    )
    lost = duplicated = 0
    for stream in streams:
        got = stream.ids
        duplicated += len(got) - len(set(got))
        lost += len(set(expected) - set(got))
        await stream.cut()
    return {
        "streams": len(streams),
        "reconnects": reconnects,
        "events": len(expected),
        "lost": lost,
        "duplicated": duplicated,
    }


# --- qa_queries -------------------------------------------------------------------------------


def _queries(data: dict[str, Any], questions: int) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qa.models import Question

    conference = data["conference"]
    registration = data["registrations"][0]
    statuses = ["published", "answered", "awaiting", "rejected"]
    Question.objects.bulk_create(
        Question(
            conference=conference,
            registration=registration,
            text=f"Spørsmål {n}?",
            original_text=f"Spørsmål {n}?",
            status=statuses[n % 4],
            rejection_reason="Utenfor tema" if n % 4 == 3 else "",
        )
        for n in range(questions)
    )
    counts = {}
    viewer = Client()
    viewer.cookies["sessionid"] = data["cookies"][0].split("=", 1)[1]
    moderator = Client()
    moderator.cookies["sessionid"] = data["moderator_cookie"].split("=", 1)[1]
    for name, client, path in (
        ("viewer", viewer, f"/me/{conference.slug}/stream/"),
        ("dashboard", moderator, f"/moderate/{conference.slug}/"),
    ):
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        counts[name] = len(captured)
    return counts


# --- run --------------------------------------------------------------------------------------


def run(ctx: BenchContext) -> list[BenchResult]:
    ctx.django_setup()
    latency_data = _setup("bench-qa-latency", VIEWERS)
    baseline_data = _setup("bench-qa-latency-10", BASELINE_VIEWERS)
    reconnect_data = _setup("bench-qa-reconnect", RECONNECT_STREAMS)
    one = _setup("bench-qa-queries-1", 1)
    many = _setup("bench-qa-queries-200", 1)
    # One question per status in the small case: a page that skips a query when no question is
    # in some status (no awaiting question: no duplicate suggestions) compares like with like.
    queries_1, queries_200 = _queries(one, SMALL_QUESTIONS), _queries(many, 200)

    extra_env = {
        "QA_QUESTION_RATE_LIMIT": "",
        "QA_SSE_HEARTBEAT_SECONDS": "15",
        "DATABASE_POOL_MAX_SIZE": "20",
    }
    with ctx.start_server(extra_env=extra_env) as server:
        # Interleaved: baseline, subject, baseline (same server, same minute).
        base_a = run_client(_latency_run(server, baseline_data, BASELINE_VIEWERS))
        subject = run_client(_latency_run(server, latency_data, VIEWERS))
        base_b = run_client(_latency_run(server, baseline_data, BASELINE_VIEWERS))
        reconnect = run_client(_reconnect_run(server, reconnect_data))

    base_p95 = statistics.mean([base_a["approve_p95_ms"], base_b["approve_p95_ms"]])
    base_ask = statistics.mean([base_a["ask_p95_ms"], base_b["ask_p95_ms"]])
    latency_details = {"subject": subject, "baseline": [base_a, base_b]}
    return [
        BenchResult(
            "qa_latency_approve_p95_ms", subject["approve_p95_ms"], "ms", "<", 1000,
            latency_details,
        ),
        BenchResult(
            "qa_latency_ask_p95_ms", subject["ask_p95_ms"], "ms", "<", 1000, latency_details
        ),
        BenchResult(
            "qa_latency_approve_ratio",
            round(subject["approve_p95_ms"] / max(base_p95, 0.1), 2),
            "ratio",
            "<=",
            2,
            {"p95_1000_ms": subject["approve_p95_ms"], "p95_10_ms": base_p95},
        ),
        BenchResult(
            "qa_latency_ask_ratio",
            round(subject["ask_p95_ms"] / max(base_ask, 0.1), 2),
            "ratio",
            "<=",
            2,
            {"p95_1000_ms": subject["ask_p95_ms"], "p95_10_ms": base_ask},
        ),
        BenchResult("qa_reconnect_lost", reconnect["lost"], "events", "==", 0, reconnect),
        BenchResult(
            "qa_reconnect_duplicated", reconnect["duplicated"], "events", "==", 0, reconnect
        ),
        BenchResult(
            "qa_queries_viewer_delta",
            queries_200["viewer"] - queries_1["viewer"],
            "queries",
            "<=",
            0,
            {str(SMALL_QUESTIONS): queries_1["viewer"], "200": queries_200["viewer"]},
        ),
        BenchResult(
            "qa_queries_dashboard_delta",
            queries_200["dashboard"] - queries_1["dashboard"],
            "queries",
            "<=",
            0,
            {str(SMALL_QUESTIONS): queries_1["dashboard"], "200": queries_200["dashboard"]},
        ),
    ]  # fmt: skip
