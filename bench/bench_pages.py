"""Public pages: the conference landing page's throughput and its query count.

``page_ratio`` is the landing page's requests/s over that of the probe's constant page in the
same server (the rest of the stack, middleware and server cost cancel out), served as
production serves it to visitors without a session: rendered once per
``PUBLIC_PAGE_CACHE_SECONDS`` and shared in between (dialogkonferanse/common/caching.py). The same
comparison with that cache off (every request renders the page) is in the details as
``uncached``. The query figures, counted with the cache off, prove the agenda is fetched in a
fixed number of queries however long it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bench.harness import PER_REQUEST_CONNECTION, BenchContext, BenchError, BenchResult

BUDGET_SECONDS = 150

LANDING_SLUG = "bench-landing"
MINIMAL_PATH = "/_bench/minimal/"
CONCURRENCY = 8
SECONDS_PER_RUN = 3.0
ROUNDS = 5

_AGENDA = [
    ("Velkommen og formål med dialogen", "Innkjøpssjef", False),
    ("Behovet: dagens løsning og utfordringer", "Fagansvarlig drift", False),
    ("Planlagt konkurranse og tidsplan", "Rådgiver anskaffelser", False),
    ("Pause", "", True),
    ("Krav til universell utforming og personvern", "Jurist", False),
    ("Spørsmål fra leverandørene", "Panel", False),
    ("En-til-en-møter: slik foregår de", "Rådgiver anskaffelser", False),
    ("Oppsummering og videre prosess", "Innkjøpssjef", False),
]


def _load(server: Any, path: str) -> Any:
    return server.load_get(
        path, concurrency=CONCURRENCY, duration=SECONDS_PER_RUN, headers=PER_REQUEST_CONNECTION
    )


def _landing_conference(slug: str, agenda_items: int) -> str:
    """A published conference with a realistic page: description, notices and agenda."""
    from conferences.models import AgendaItem, NoticeReference
    from tests.factories import make_conference

    conference = make_conference(
        slug=slug,
        title="Markedsdialog: drift av fartøysovervåkning",
        summary="Vi vil høre fra markedet før vi lyser ut drift av fartøysovervåkningen.",
        description="Konferansen strømmes.\n\nSpørsmål besvares skriftlig til alle.\n" * 3,
        offers_one_to_one=True,
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(
            conference=conference,
            starts_at=conference.starts_at + dt.timedelta(minutes=5 * i),
            ends_at=conference.starts_at + dt.timedelta(minutes=5 * i + 5),
            title=_AGENDA[i % len(_AGENDA)][0],
            speaker=_AGENDA[i % len(_AGENDA)][1],
            description="Presentasjon og spørsmål." if i % 3 == 0 else "",
            is_break=_AGENDA[i % len(_AGENDA)][2],
        )
        for i in range(agenda_items)
    )
    NoticeReference.objects.bulk_create(
        NoticeReference(conference=conference, reference=ref, note=note)
        for ref, note in (("2025-101234", ""), ("2025-104321", "Rettet kunngjøring"))
    )
    return conference.get_absolute_url()


def _count_queries(path: str) -> int:
    """Queries of one anonymous render of ``path``, after a warm-up render."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with override_settings(PUBLIC_PAGE_CACHE_SECONDS=0):  # count the render, not a cache hit
        warm = client.get(path)
        if warm.status_code != 200:
            raise BenchError(f"GET {path} answered {warm.status_code}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}")
    return len(queries)


def run(ctx: BenchContext) -> list[BenchResult]:
    ctx.django_setup()
    landing = _landing_conference(LANDING_SLUG, len(_AGENDA))
    one = _landing_conference("bench-agenda-1", 1)
    thirty = _landing_conference("bench-agenda-30", 30)
    queries_1, queries_30 = _count_queries(one), _count_queries(thirty)

    with ctx.start_server() as server:
        page = server.get(landing)
        if page.status_code != 200 or _AGENDA[-1][0] not in page.text:
            raise BenchError(f"landing page {landing} answered {page.status_code} without agenda")
        comparison = ctx.compare(
            lambda: _load(server, landing),
            lambda: _load(server, MINIMAL_PATH),
            rounds=ROUNDS,
        )
    with ctx.start_server(extra_env={"PUBLIC_PAGE_CACHE_SECONDS": "0"}) as server:
        uncached = ctx.compare(
            lambda: _load(server, landing),
            lambda: _load(server, MINIMAL_PATH),
            rounds=ROUNDS,
        )
    if comparison.errors or uncached.errors:
        raise BenchError(f"failed requests: {comparison.details()} {uncached.details()}")

    return [
        BenchResult(
            "page_ratio",
            round(comparison.ratio, 3),
            "ratio",
            ">=",
            0.3,
            {
                **comparison.details(),
                "uncached": {"ratio": round(uncached.ratio, 3), **uncached.details()},
                "agenda_items": len(_AGENDA),
                "landing_bytes": len(page.content),
            },
        ),
        BenchResult("landing_queries_1", queries_1, "queries", "<=", 5, {"path": one}),
        BenchResult("landing_queries_30", queries_30, "queries", "<=", 5, {"path": thirty}),
        BenchResult(
            "landing_query_delta",
            queries_30 - queries_1,
            "queries",
            "<=",
            0,
            {"agenda_items": [1, 30]},
        ),
    ]
