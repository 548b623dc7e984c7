"""Registration: throughput against the probe form, and duplicates under concurrency.

``registration_ratio`` is registration POSTs/s (validation, conference share lock, insert,
new link, one rendered outbox email with its .ics, task queued) over the probe's POSTs/s
(validate a small form, insert one row) in the same server. Its target is a regression floor,
not a goal: the registration goes through the ORM, and a realistic peak (tens of registrations
per second) costs a few per cent of one core either way. ``registration_duplicates`` sends
200 identical submissions at once: the unique constraint must leave exactly one registration,
every response must be the same neutral redirect, and none may fail.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from bench.harness import PER_REQUEST_CONNECTION, BenchContext, BenchError, BenchResult

BUDGET_SECONDS = 180

RATIO_SLUG = "bench-registration"
DUPLICATE_SLUG = "bench-registration-duplicates"
PROBE_PATH = "/_bench/form/"
CONCURRENCY = 8
SECONDS_PER_RUN = 4.0
ROUNDS = 5
DUPLICATES = 200
REGRESSION_FLOOR = 0.25
# The benchmark posts from one address: lift the per-client limits in its server.
NO_LIMITS = {
    "REGISTRATION_RATE_LIMIT": "",
    "REGISTRATION_RESEND_RATE_LIMIT": "",
    "REGISTRATION_ADDRESS_RATE_LIMIT": "",
}


def _form(email: str) -> dict[str, str]:
    return {
        "organisation_name": "Leverandør {n} AS",
        "country": "NO",
        "organisation_number": "974 760 673",
        "contact_name": "Kari Nordmann {n}",
        "email": email,
        "phone": "+47 400 00 000",
        "language": "nb",
        "wants_one_to_one": "on",
        "one_to_one_topics": "Sensorer på bøyer og dekning langs kysten.",
        "listed_publicly": "on",
        "open_to_partnering": "on",
        "privacy_acknowledged": "on",
    }


async def _post_many(url: str, body: str, headers: dict[str, str], count: int) -> list[object]:
    import httpx

    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
        start = asyncio.Event()

        async def one() -> object:
            await start.wait()
            try:
                response = await client.post(url, content=body)
            except httpx.HTTPError as exc:
                return exc
            return (response.status_code, response.headers.get("location", ""))

        tasks = [asyncio.create_task(one()) for _ in range(count)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def run(ctx: BenchContext) -> list[BenchResult]:
    ctx.django_setup()
    from django.db import close_old_connections

    from registrations.models import Registration
    from tests.factories import make_conference

    make_conference(slug=RATIO_SLUG, offers_one_to_one=True)
    duplicate_conference = make_conference(slug=DUPLICATE_SLUG, offers_one_to_one=True)
    register_path = f"/conferences/{RATIO_SLUG}/register/"
    duplicate_path = f"/conferences/{DUPLICATE_SLUG}/register/"
    thanks = f"/conferences/{DUPLICATE_SLUG}/register/thanks/"

    with ctx.start_server(extra_env=NO_LIMITS) as server:
        comparison = ctx.compare(
            lambda: server.load_post(
                register_path,
                _form("supplier-{n}@bench.example"),
                concurrency=CONCURRENCY,
                duration=SECONDS_PER_RUN,
                headers=PER_REQUEST_CONNECTION,
            ),
            lambda: server.load_post(
                PROBE_PATH,
                {"name": "Leverandør {n}", "email": "probe-{n}@bench.example", "message": "Hei"},
                concurrency=CONCURRENCY,
                duration=SECONDS_PER_RUN,
                headers=PER_REQUEST_CONNECTION,
            ),
            rounds=ROUNDS,
        )
        if comparison.errors:
            raise BenchError(f"failed requests: {comparison.details()}")

        cookie, token = server.csrf(duplicate_path)
        form = {
            key: value.replace("{n}", "1") for key, value in _form("samme@bench.example").items()
        }
        body = urlencode({**form, "csrfmiddlewaretoken": token})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Referer": server.url(duplicate_path),
        }
        outcomes = asyncio.run(_post_many(server.url(duplicate_path), body, headers, DUPLICATES))

    close_old_connections()
    registrations = Registration.objects.filter(conference=duplicate_conference).count()
    neutral = sum(1 for o in outcomes if o == (302, thanks))
    server_errors = sum(
        1
        for o in outcomes
        if not isinstance(o, tuple) or o[0] >= 500  # type: ignore[index]
    )
    other = sorted({repr(o) for o in outcomes if o != (302, thanks)})[:5]
    duplicates_ok = registrations == 1 and neutral == DUPLICATES and server_errors == 0
    return [
        BenchResult(
            "registration_ratio",
            round(comparison.ratio, 3),
            "ratio",
            ">=",
            REGRESSION_FLOOR,
            comparison.details(),
        ),
        BenchResult(
            "registration_duplicates",
            1.0 if duplicates_ok else 0.0,
            "ok",
            "==",
            1.0,
            {
                "submissions": DUPLICATES,
                "registrations": registrations,
                "neutral_responses": neutral,
                "server_errors": server_errors,
                "other_responses": other,
            },
        ),
    ]
