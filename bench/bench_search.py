"""Search in the information package: the search page's latency on a large package.

The package: one conference in follow-up with 500 published questions, each answered in
writing (Bokmål, a third also in English), 20 clarifications, 40 presentations and 10 hours of
recordings with a transcript line every 4 seconds in Bokmål and in English (18,000 timed
passages). ``search_p95`` is the 95th percentile of the whole page (view, full-text query,
ranking, highlighting, template) rendered in process by Django's test client, over a mix of
common words, rare words, phrases, English words and words found nowhere, in nb and en, after a
warm-up. ``search_queries`` counts the queries of one page of hits.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

from bench.harness import BenchContext, BenchError, BenchResult

BUDGET_SECONDS = 60  # about 10 s with the package written (a fresh database included)

SLUG = "bench-search"
QUESTIONS = 500
HOURS = 10
LINE_SECONDS = 4
RECORDINGS = 10
SAMPLES = 300
WARMUP = 30

NB_WORDS = [
    "konkurransen",
    "kontrakten",
    "leverandøren",
    "leverandørene",
    "møtet",
    "møtene",
    "tilbudet",
    "tilbudene",
    "kravene",
    "kravspesifikasjonen",
    "farleder",
    "overvåking",
    "sensorer",
    "drift",
    "vedlikehold",
    "opsjoner",
    "tidsplanen",
    "kunngjøringen",
    "Doffin",
    "prisen",
    "evalueringen",
    "kvaliteten",
    "miljøkrav",
    "universell",
    "utforming",
    "personvern",
    "databehandler",
    "lisenser",
    "integrasjon",
    "grensesnitt",
    "sikkerhet",
    "beredskap",
    "fartøy",
    "havner",
    "kystverket",
    "radar",
    "kamera",
    "nettverk",
    "skytjeneste",
    "opplæring",
    "support",
    "avtale",
    "avtalen",
    "avtalene",
    "garantien",
    "vilkårene",
    "fristen",
    "spørsmålet",
    "svaret",
    "behovet",
    "løsningen",
]
NB_GLUE = [
    "vi",
    "skal",
    "og",
    "det",
    "er",
    "for",
    "i",
    "på",
    "med",
    "til",
    "som",
    "at",
    "de",
    "kan",
    "vil",
    "har",
    "om",
]
EN_WORDS = [
    "competition",
    "contract",
    "supplier",
    "suppliers",
    "meeting",
    "meetings",
    "tender",
    "tenders",
    "requirements",
    "fairways",
    "monitoring",
    "sensors",
    "operation",
    "maintenance",
    "options",
    "schedule",
    "notice",
    "price",
    "evaluation",
    "quality",
    "environmental",
    "accessibility",
    "privacy",
    "processor",
    "licences",
    "integration",
    "interface",
    "security",
    "preparedness",
    "vessels",
    "harbours",
    "radar",
    "camera",
    "network",
    "cloud",
    "training",
    "support",
    "agreement",
    "warranty",
    "terms",
    "deadline",
    "question",
    "answer",
    "need",
    "solution",
]
EN_GLUE = [
    "we",
    "will",
    "and",
    "it",
    "is",
    "for",
    "in",
    "on",
    "with",
    "to",
    "that",
    "they",
    "can",
    "have",
    "about",
    "the",
    "a",
]

QUERIES = [
    ("nb", "konkurransen"),
    ("nb", "møtene"),
    ("nb", "kravspesifikasjon"),
    ("nb", "universell utforming"),
    ("nb", '"drift og vedlikehold"'),
    ("nb", "personvern databehandler"),
    ("nb", "MOTE"),
    ("nb", "finnes ikke noe sted"),
    ("en", "competition"),
    ("en", "meeting schedule"),
    ("en", '"cloud training"'),
    ("en", "harbours radar"),
    ("en", "kontrakten"),
    ("en", "zebra"),
]


def _sentence(rng: random.Random, words: list[str], glue: list[str], n: int) -> str:
    out = []
    for i in range(n):
        out.append(rng.choice(words) if i % 2 == 0 else rng.choice(glue))
    return " ".join(out).capitalize() + "."


def _package(rng: random.Random) -> object:
    from django.utils import timezone

    from conferences.choices import ConferenceStatus
    from conferences.models import Clarification, Document, Recording
    from conferences.package.transcripts import index_transcript
    from qa.models import Answer, Question
    from tests.factories import make_conference, make_registration

    conference = make_conference(
        slug=SLUG, title="Markedsdialog: søk i pakken", status=ConferenceStatus.FOLLOW_UP
    )
    registrations = [make_registration(conference=conference) for _ in range(20)]
    now = timezone.now()
    questions = Question.objects.bulk_create(
        Question(
            conference=conference,
            registration=registrations[i % len(registrations)],
            text=(text := _sentence(rng, NB_WORDS, NB_GLUE, 18) + " Hva gjelder?"),
            original_text=text,
            status="answered",
            published_at=now,
        )
        for i in range(QUESTIONS)
    )
    Answer.objects.bulk_create(
        Answer(
            question=question,
            text=(nb := " ".join(_sentence(rng, NB_WORDS, NB_GLUE, 14) for _ in range(3))),
            text_nb=nb,
            text_en=(
                " ".join(_sentence(rng, EN_WORDS, EN_GLUE, 14) for _ in range(3))
                if i % 3 == 0
                else None
            ),
            published_at=now,
        )
        for i, question in enumerate(questions)
    )
    Clarification.objects.bulk_create(
        Clarification(
            conference=conference,
            title=(title := _sentence(rng, NB_WORDS, NB_GLUE, 5)),
            title_nb=title,
            text=(text := " ".join(_sentence(rng, NB_WORDS, NB_GLUE, 16) for _ in range(4))),
            text_nb=text,
            published_at=now,
        )
        for _ in range(20)
    )
    for i in range(40):
        Document.objects.create(
            conference=conference,
            title=_sentence(rng, NB_WORDS, NB_GLUE, 6),
            file=f"documents/{conference.pk}/bench-{i}.pdf",
            sha256="0" * 64,
            size=1000,
            published_at=now,
        )
    lines = HOURS * 3600 // LINE_SECONDS // RECORDINGS
    for r in range(RECORDINGS):
        stamp = lambda n: str(dt.timedelta(seconds=n * LINE_SECONDS))  # noqa: E731
        recording = Recording.objects.create(
            conference=conference,
            title=f"Sending {r + 1}",
            order=r,
            external_url=f"https://www.youtube.com/watch?v=benchSrch{r:02d}",
            provider="youtube",
            duration=dt.timedelta(hours=1),
            transcript_nb="\n".join(
                f"[{stamp(n)}] {_sentence(rng, NB_WORDS, NB_GLUE, 12)}" for n in range(lines)
            ),
            transcript_en="\n".join(
                f"[{stamp(n)}] {_sentence(rng, EN_WORDS, EN_GLUE, 12)}" for n in range(lines)
            ),
            published_at=now,
            caption_override_reason="Benchmark.",
        )
        index_transcript(recording=recording)
    return conference


def run(ctx: BenchContext) -> list[BenchResult]:
    ctx.django_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from conferences.models import TranscriptSegment

    rng = random.Random(19)
    conference = _package(rng)
    # The state autovacuum leaves the tables in soon after publishing: statistics, and the GIN
    # indexes' pending lists merged (a fresh pending list is scanned linearly, row by row).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    segments = TranscriptSegment.objects.filter(recording__conference=conference).count()
    path = reverse("conferences:package_search", kwargs={"slug": conference.slug})
    clients = {lang: Client(headers={"accept-language": lang}) for lang in ("nb", "en")}

    def get(lang: str, words: str) -> float:
        started = time.perf_counter()
        response = clients[lang].get(path, {"q": words})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or b'id="package-search-error"' in response.content:
            raise BenchError(f"search {words!r} answered {response.status_code}")
        return elapsed

    for i in range(WARMUP):
        get(*QUERIES[i % len(QUERIES)])
    timings = [get(*QUERIES[i % len(QUERIES)]) for i in range(SAMPLES)]
    with CaptureQueriesContext(connection) as queries:
        response = clients["nb"].get(path, {"q": "konkurransen"})
    hits_shown = response.content.count(b'<li class="border rounded p-3 mb-3">')
    if hits_shown == 0:
        raise BenchError("the common word found nothing")

    load_average = [round(x, 1) for x in os.getloadavg()]
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    details = {
        "questions": QUESTIONS,
        "transcript_hours": HOURS,
        "transcript_passages": segments,
        "samples": SAMPLES,
        "p50_ms": round(statistics.median(timings), 1),
        "max_ms": round(timings[-1], 1),
        # The machine's load when the samples ended: on a shared machine a p95 over 100 ms
        # with a load far above the core count says more about the machine than the search.
        "load_average_1_5_15": load_average,
        "cores": os.cpu_count(),
        "queries": [words for _lang, words in QUERIES],
    }
    return [
        BenchResult("search_p95", round(p95, 1), "ms", "<", 100, details),
        BenchResult(
            "search_queries",
            len(queries),
            "queries",
            "<=",
            2,
            {"hits_shown": hits_shown},
        ),
    ]
