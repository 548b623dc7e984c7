"""Demo data for ``make run``: a published conference with an agenda and a published recording
with captions and chapters in its information package. Idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .choices import ConferenceStatus, StreamProvider
from .models import AgendaItem, BuyerOrganisation, Caption, Chapter, Conference, Recording
from .package.publishing import publish_recording, save_recording

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
        seed_recording(existing)
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
    seed_recording(conference)
    return conference


DEMO_VIDEO = Path(__file__).resolve().parent / "demo_media" / "demo.webm"
RECORDING_TITLE = "Forhåndsopptak: behovet og konkurransen"
CAPTIONS = {
    "nb": [
        ("00:00.000", "00:02.000", "Velkommen til dialogkonferansen."),
        ("00:02.000", "00:04.000", "Behovet: digital overvåking av farleder."),
        ("00:04.000", "00:06.000", "Konkurransen kunngjøres i Doffin."),
    ],
    "en": [
        ("00:00.000", "00:02.000", "Welcome to the dialogue conference."),
        ("00:02.000", "00:04.000", "The need: digital monitoring of fairways."),
        ("00:04.000", "00:06.000", "The competition will be announced in Doffin."),
    ],
}
CHAPTERS = [(0, "Velkommen"), (2, "Behovet"), (4, "Konkurransen")]


def _webvtt(cues: list[tuple[str, str, str]]) -> bytes:
    lines = ["WEBVTT", ""]
    for start, end, text in cues:
        lines += [f"{start} --> {end}", text, ""]
    return "\n".join(lines).encode()


def seed_recording(conference: Conference) -> Recording:
    """A short published recording with Bokmål and English captions, chapters and transcript."""
    recording = conference.recordings.filter(title=RECORDING_TITLE).first()
    if recording is not None:
        return recording
    recording = Recording(
        conference=conference,
        title=RECORDING_TITLE,
        order=1,
        duration=dt.timedelta(seconds=6),
        transcript="\n".join(text for _start, _end, text in CAPTIONS["nb"]),
    )
    recording.video_file = ContentFile(DEMO_VIDEO.read_bytes(), name="demo.webm")
    save_recording(recording=recording, changed_fields={"video_file"})
    for language, cues in CAPTIONS.items():
        Caption.objects.create(
            recording=recording,
            language=language,
            file=ContentFile(_webvtt(cues), name=f"{language}.vtt"),
        )
    Chapter.objects.bulk_create(
        Chapter(recording=recording, start=dt.timedelta(seconds=start), title=title)
        for start, title in CHAPTERS
    )
    return publish_recording(recording_id=recording.pk, actor=None)
