"""Demo data for ``make run``: a published conference with an agenda. Idempotent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from .choices import ConferenceStatus, StreamProvider
from .models import AgendaItem, BuyerOrganisation, Conference

DEMO_SLUG = "kystverket-digital-dialog"

AGENDA = [
    (0, 15, "Velkommen og praktisk informasjon", "Innkjøpsleder", False),
    (15, 60, "Behovet: digital overvåking av farleder", "Prosjektleder", False),
    (60, 75, "Pause", "", True),
    (75, 120, "Planlagt konkurranse og tidsplan", "Innkjøpsrådgiver", False),
    (120, 180, "Spørsmål og svar", "Innkjøpsteamet", False),
]


@transaction.atomic
def seed_conferences() -> Conference:
    buyer, _ = BuyerOrganisation.objects.get_or_create(
        name="Kystverket (demo)",
        defaults={
            "organisation_number": "974760673",
            "website": "https://www.kystverket.no",
            "accessibility_statement_url": "https://uustatus.no/nb/erklaringer/publisert/",
            "contact_email": "innkjop@kystverket.example",
            "email_signature": "Med vennlig hilsen\nInnkjøpsteamet, Kystverket (demo)",
        },
    )
    existing = Conference.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return existing
    oslo = ZoneInfo("Europe/Oslo")
    day = (timezone.now() + dt.timedelta(days=14)).astimezone(oslo).date()
    starts = dt.datetime.combine(day, dt.time(9, 0), tzinfo=oslo)
    conference = Conference.objects.create(
        buyer=buyer,
        title="Dialogkonferanse: digital overvåking av farleder",
        slug=DEMO_SLUG,
        summary="Vi presenterer behovet og den planlagte konkurransen, og vil høre fra markedet.",
        description=(
            "Konferansen strømmes. Du følger med i nettleseren, stiller spørsmål underveis og "
            "kan be om et én-til-én-møte med innkjøpsteamet."
        ),
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        registration_opens_at=timezone.now() - dt.timedelta(days=1),
        registration_closes_at=starts - dt.timedelta(hours=1),
        stream_provider=StreamProvider.YOUTUBE,
        stream_url="https://www.youtube-nocookie.com/embed/live_stream?channel=demo",
        fallback_stream_url="https://www.kystverket.no/",
        offers_one_to_one=True,
        contact_email="innkjop@kystverket.example",
        status=ConferenceStatus.PUBLISHED,
        status_changed_at=timezone.now(),
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(
            conference=conference,
            starts_at=starts + dt.timedelta(minutes=start),
            ends_at=starts + dt.timedelta(minutes=end),
            title=title,
            speaker=speaker,
            is_break=is_break,
        )
        for start, end, title, speaker, is_break in AGENDA
    )
    return conference
