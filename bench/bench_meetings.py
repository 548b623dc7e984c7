"""One-to-one meetings: no double booking under a burst of HTTP requests, and allocation speed.

``booking_race_*``: 1,000 booking requests over HTTP, fired at once by 100 suppliers (each with
the session their personal link opened) at 10 free slots, against the production server
configuration: ``booking_race_meetings`` (10), ``booking_race_double_bookings`` (0),
``booking_race_errors`` (server errors, unexpected statuses and socket errors: 0) and
``booking_race_losers_without_message`` (0: every loser is shown "that slot was just taken", or,
having already won a slot, "you already have a meeting").

``allocation_time``: staff allocate 2,000 opted-in registrations into 2,000 slots (lottery);
seconds for the whole service call. ``allocation_queries_growth``: queries for 2,000 minus
queries for 200 (0: the number of queries does not grow per registration).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from typing import Any

from bench.harness import BenchContext, BenchError, BenchResult

BUDGET_SECONDS = 240

RACE_SLUG = "bench-meetings-race"
SUPPLIERS = 100
REQUESTS_PER_SUPPLIER = 10
WON = "Your meeting is booked"
TAKEN = "That time was just taken"
ALREADY = "You already have a meeting"


def _race_setup() -> tuple[list[int], list[str]]:
    """A self-service conference with 2 teams x 5 slots, and 100 opted-in suppliers. Returns
    the five times (seconds since the epoch, as the time picker sends them) and the tokens."""
    from django.utils import timezone

    from meetings.models import Slot
    from meetings.services import generate_slots
    from tests.factories import make_conference, make_meeting_settings, make_registration

    conference = make_conference(offers_one_to_one=True, slug=RACE_SLUG)
    day = (timezone.now() + dt.timedelta(days=5)).date()
    make_meeting_settings(
        conference=conference,
        teams=2,
        windows=[(day, dt.time(10), dt.time(12, 30))],
        slot_minutes=30,
        buffer_minutes=0,
    )
    generate_slots(conference_id=conference.pk)
    slots = list(Slot.objects.filter(conference=conference).values_list("starts_at", flat=True))
    if len(slots) != 10:
        raise BenchError(f"expected 10 slots, got {len(slots)}")
    # Suppliers choose a time; the service gives each booking a free team at that time.
    slot_ids = sorted({int(starts_at.timestamp()) for starts_at in slots})
    tokens = [f"bench-race-token-{i:04d}-{random.random():.12f}" for i in range(SUPPLIERS)]
    for token in tokens:
        make_registration(conference=conference, wants_one_to_one=True, token=token, language="en")
    return slot_ids, tokens


async def _race(base_url: str, slot_ids: list[int], tokens: list[str]) -> dict[str, Any]:
    import re

    import httpx

    csrf_input = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    page = f"/me/{RACE_SLUG}/meeting/"
    headers = {"Accept-Language": "en"}
    # One connection pool for all; one cookie jar per request (a client over the shared
    # transport), so concurrent requests of one supplier never mix their message cookies.
    # Connections are kept for 5 s at most, the server keeps them for 30 s (see run): a request
    # never goes out on a connection the server is just closing (a client-side ReadError).
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=400, keepalive_expiry=5.0)
    )

    def client(cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport, base_url=base_url, headers=headers, cookies=cookies,
            timeout=120,
        )  # fmt: skip

    async def login(token: str) -> tuple[dict[str, str], str]:
        c = client()
        opened = await c.get(f"/r/{token}/")
        if opened.status_code != 302:
            raise BenchError(f"personal link answered {opened.status_code}")
        await c.get(page)
        # The confirmation step of the first time carries the form (and its CSRF token).
        booking = await c.get(f"{page}book/?time={slot_ids[0]}")
        match = csrf_input.search(booking.text)
        if booking.status_code != 200 or not match:
            raise BenchError(f"booking page answered {booking.status_code}")
        return dict(c.cookies), match.group(1)

    sessions = await asyncio.gather(*(login(t) for t in tokens))
    rng = random.Random(20261125)
    plan = [
        (sessions[i], rng.choice(slot_ids))
        for i in range(len(tokens))
        for _ in range(REQUESTS_PER_SUPPLIER)
    ]
    start = asyncio.Event()

    async def book(session: tuple[dict[str, str], str], slot_id: int) -> str:
        cookies, token = session
        c = client(cookies)
        await start.wait()
        try:
            posted = await c.post(
                f"{page}book/",
                data={"time": str(slot_id), "csrfmiddlewaretoken": token},
                headers={"Referer": base_url + page},
            )
            if posted.status_code >= 500:
                return "server_error"
            if posted.status_code != 302:
                return f"status_{posted.status_code}"
            shown = await c.get(posted.headers["location"])
        except httpx.HTTPError as exc:
            return f"socket_{type(exc).__name__}"
        if shown.status_code >= 500:
            return "server_error"
        if WON in shown.text:
            return "won"
        if TAKEN in shown.text:
            return "taken"
        if ALREADY in shown.text:
            return "already"
        return "unexplained"

    tasks = [asyncio.create_task(book(s, slot)) for s, slot in plan]
    await asyncio.sleep(0.2)
    began = time.monotonic()
    start.set()
    outcomes = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    await transport.aclose()
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return {"counts": counts, "seconds": round(elapsed, 2), "requests": len(plan)}


def _allocation(size: int, slug: str) -> tuple[float, int, int, int]:
    """Seconds and queries to allocate ``size`` registrations into ``size`` slots."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from meetings.allocation import allocate_meetings
    from meetings.choices import AllocationMode
    from meetings.models import Slot
    from meetings.services import generate_slots
    from registrations.models import Registration
    from tests.factories import make_conference, make_meeting_settings

    conference = make_conference(offers_one_to_one=True, slug=slug)
    teams = 10
    days = max(1, size // (teams * 40))
    first = (timezone.now() + dt.timedelta(days=20)).date()
    windows = [(first + dt.timedelta(days=d), dt.time(8), dt.time(18)) for d in range(days)]
    make_meeting_settings(
        conference=conference,
        teams=teams,
        windows=windows,
        slot_minutes=15,
        buffer_minutes=0,
        allocation_mode=AllocationMode.STAFF,
    )
    generate_slots(conference_id=conference.pk)
    slots = Slot.objects.filter(conference=conference).count()
    now = timezone.now()
    Registration.objects.bulk_create(
        Registration(
            conference=conference,
            organisation_name=f"Leverandør {i} AS",
            country="NO",
            organisation_number="974760673",
            contact_name=f"Kontakt {i}",
            email=f"alloc-{slug}-{i}@leverandor.example",
            language="nb",
            wants_one_to_one=True,
            privacy_acknowledged_at=now,
        )
        for i in range(size)
    )
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = allocate_meetings(conference_id=conference.pk, method="lottery", seed=2026)
        seconds = time.perf_counter() - began
    return seconds, len(queries.captured_queries), len(result.allocated), slots


def run(ctx: BenchContext) -> list[BenchResult]:
    ctx.django_setup()
    from meetings.models import Meeting

    slot_ids, tokens = _race_setup()
    # gunicorn's keep-alive (2 s by default) outlasts the client pool's expiry.
    with ctx.start_server(extra_env={"GUNICORN_CMD_ARGS": "--keep-alive 30"}) as server:
        race = asyncio.run(_race(server.base_url, slot_ids, tokens))
    counts = race["counts"]
    booked = Meeting.objects.filter(conference__slug=RACE_SLUG, status="booked")
    meetings = booked.count()
    double = meetings - booked.values("slot_id").distinct().count()
    untold = counts.get("unexplained", 0)
    # 5xx, other statuses and socket errors; the "unexplained" pages are counted on their own.
    errors = sum(
        n for k, n in counts.items() if k not in {"won", "taken", "already", "unexplained"}
    )
    details = {**race, "suppliers": SUPPLIERS, "slots": 10, "times": len(slot_ids)}

    small = _allocation(200, "bench-alloc-200")
    large = _allocation(2000, "bench-alloc-2000")
    if large[2] != 2000 or large[3] != 2000:
        raise BenchError(f"allocation gave {large[2]} meetings for {large[3]} slots")
    alloc_details = {
        "registrations": 2000,
        "slots": large[3],
        "allocated": large[2],
        "queries_2000": large[1],
        "queries_200": small[1],
        "seconds_200": round(small[0], 3),
    }
    return [
        BenchResult("booking_race_meetings", meetings, "meetings", "==", 10, details),
        BenchResult("booking_race_double_bookings", double, "slots", "==", 0, details),
        BenchResult(
            "booking_race_errors",
            errors,
            "responses",
            "==",
            0,
            details,
        ),
        BenchResult("booking_race_losers_without_message", untold, "responses", "==", 0, details),
        BenchResult("allocation_time", round(large[0], 3), "s", "<", 5.0, alloc_details),
        BenchResult(
            "allocation_queries_growth", large[1] - small[1], "queries", "==", 0, alloc_details
        ),
    ]
