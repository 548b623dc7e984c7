"""Demo data for ``make run``: a published conference with an agenda and a published recording
with captions and chapters in its information package, a presentation document and a written
clarification; the texts (the buyer's email signature and the speakers too) in Bokmål, Nynorsk
and English, except the English description, left in Bokmål so the pages' fallback note can be
seen. Idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from .choices import ConferenceStatus, StreamProvider
from .models import (
    AgendaItem,
    BuyerOrganisation,
    Caption,
    Chapter,
    Clarification,
    Conference,
    Document,
    Recording,
    default_dialogue_rules,
)
from .package.publishing import (
    publish_clarification,
    publish_document,
    publish_recording,
    save_clarification,
    save_document,
    save_recording,
)

DEMO_SLUG = "kystverket-digital-dialog"

AGENDA = [
    (0, 15, "Velkommen og praktisk informasjon", "Innkjøpsleder", False),
    (15, 60, "Behovet: digital overvåking av farleder", "Prosjektleder", False),
    (60, 75, "Pause", "", True),
    (75, 120, "Planlagt konkurranse og tidsplan", "Innkjøpsrådgiver", False),
    (120, 180, "Spørsmål og svar", "Innkjøpsteamet", False),
]


def seed_conferences() -> Conference:
    """The demo conference; its plain texts are Bokmål whatever the command's language."""
    with translation.override("nb"):
        return _seed_conferences()


@transaction.atomic
def _seed_conferences() -> Conference:
    buyer, _ = BuyerOrganisation.objects.get_or_create(
        name="Kystverket (demo)",
        defaults={
            "organisation_number": "974760673",
            "website": "https://www.kystverket.no",
            "accessibility_statement_url": "https://uustatus.no/nb/erklaringer/publisert/",
            "contact_email": "innkjop@kystverket.example",
            "email_signature": BUYER_SIGNATURE,
        },
    )
    existing = Conference.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        seed_recording(existing)
        seed_package_extras(existing)
        seed_translations(existing)
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
        offers_nn=True,
        offers_en=True,
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
    seed_package_extras(conference)
    seed_translations(conference)
    return conference


DEMO_VIDEO = Path(__file__).resolve().parent / "demo_media" / "demo.webm"
RECORDING_TITLE = "Forhåndsopptak: behovet og konkurransen"
CAPTIONS = {
    "nb": [
        ("00:00.000", "00:02.000", "Velkommen til dialogkonferansen."),
        ("00:02.000", "00:04.000", "Behovet: digital overvåking av farleder."),
        ("00:04.000", "00:06.000", "Konkurransen kunngjøres i Doffin."),
    ],
    "nn": [
        ("00:00.000", "00:02.000", "Velkomen til dialogkonferansen."),
        ("00:02.000", "00:04.000", "Behovet: digital overvaking av farleier."),
        ("00:04.000", "00:06.000", "Konkurransen blir kunngjord i Doffin."),
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
    """A short published recording with captions in each language, chapters and transcript."""
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
    # Translated before publishing, so the changelog entry carries the title in each language.
    _fill_recording(recording)
    recording.video_file = ContentFile(DEMO_VIDEO.read_bytes(), name="demo.webm")
    save_recording(recording=recording, changed_fields={"video_file"})
    for language, cues in CAPTIONS.items():
        Caption.objects.create(
            recording=recording,
            language=language,
            file=ContentFile(_webvtt(cues), name=f"{language}.vtt"),
        )
    chapters = []
    for start, title in CHAPTERS:
        chapter = Chapter(recording=recording, start=dt.timedelta(seconds=start), title=title)
        _fill(chapter, "title", CHAPTER_TEXTS[title])
        chapters.append(chapter)
    Chapter.objects.bulk_create(chapters)
    return publish_recording(recording_id=recording.pk, actor=None)


# --- Content in Nynorsk and English ----------------------------------------------------------

# (field, Nynorsk, English) per object; None leaves that language to the Bokmål fallback.
CONFERENCE_TEXTS = {
    "title": (
        "Dialogkonferanse: digital overvaking av farleier",
        "Dialogue conference: digital monitoring of fairways",
    ),
    "summary": (
        "Vi presenterer behovet og den planlagde konkurransen, og vil høyre frå marknaden.",
        "We present the need and the planned competition, and want to hear from the market.",
    ),
    # English left out on purpose: the English page shows the Bokmål text, marked as such.
    "description": (
        "Konferansen blir strøymd. Du følgjer med i nettlesaren, stiller spørsmål undervegs og "
        "kan be om eit ein-til-ein-møte med innkjøpsteamet.",
        None,
    ),
}
BUYER_NAMES = ("Kystverket (demo)", "Norwegian Coastal Administration (demo)")
BUYER_SIGNATURE = "Med vennlig hilsen\nInnkjøpsteamet, Kystverket (demo)"
BUYER_SIGNATURES = (
    "Med venleg helsing\nInnkjøpsteamet, Kystverket (demo)",
    "Kind regards\nThe procurement team, Norwegian Coastal Administration (demo)",
)
AGENDA_TEXTS = {
    "Velkommen og praktisk informasjon": (
        "Velkomen og praktisk informasjon",
        "Welcome and practical information",
    ),
    "Behovet: digital overvåking av farleder": (
        "Behovet: digital overvaking av farleier",
        "The need: digital monitoring of fairways",
    ),
    "Pause": ("Pause", "Break"),
    "Planlagt konkurranse og tidsplan": (
        "Planlagd konkurranse og tidsplan",
        "Planned competition and timeline",
    ),
    "Spørsmål og svar": ("Spørsmål og svar", "Questions and answers"),
}
SPEAKER_TEXTS = {
    "Innkjøpsleder": ("Innkjøpsleiar", "Head of procurement"),
    "Prosjektleder": ("Prosjektleiar", "Project manager"),
    "Innkjøpsrådgiver": ("Innkjøpsrådgivar", "Procurement adviser"),
    "Innkjøpsteamet": ("Innkjøpsteamet", "The procurement team"),
}
RECORDING_TITLES = (
    "Førehandsopptak: behovet og konkurransen",
    "Pre-recording: the need and the competition",
)
CHAPTER_TEXTS = {
    "Velkommen": ("Velkomen", "Welcome"),
    "Behovet": ("Behovet", "The need"),
    "Konkurransen": ("Konkurransen", "The competition"),
}
DOCUMENT_TITLE = "Presentasjon: behov og tidsplan"
DOCUMENT_TITLES = ("Presentasjon: behov og tidsplan", "Presentation: need and timeline")
CLARIFICATION = (
    "Avklaring: språk i tilbudet og i møtene",
    "Tilbud kan leveres på norsk, svensk, dansk eller engelsk. Møtene med leverandørene holdes "
    "på norsk eller engelsk, etter leverandørens ønske.",
)
CLARIFICATION_NN = (
    "Avklaring: språk i tilbodet og i møta",
    "Tilbod kan leverast på norsk, svensk, dansk eller engelsk. Møta med leverandørane blir "
    "haldne på norsk eller engelsk, etter ønsket til leverandøren.",
)
CLARIFICATION_EN = (
    "Clarification: language of tenders and meetings",
    "Tenders may be submitted in Norwegian, Swedish, Danish or English. The meetings with "
    "suppliers are held in Norwegian or English, as the supplier prefers.",
)


def _demo_pdf(lines: list[str]) -> bytes:
    """A small one-page PDF with the lines as text (valid cross-reference table)."""
    text = "".join(
        f"BT /F1 14 Tf 56 {780 - 24 * i} Td ({line}) Tj ET\n" for i, line in enumerate(lines)
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def seed_package_extras(conference: Conference) -> None:
    """A published presentation document and a published written clarification."""
    if not conference.documents.filter(title_nb=DOCUMENT_TITLE).exists():
        document = Document(conference=conference, title=DOCUMENT_TITLE, order=1)
        _fill(document, "title", DOCUMENT_TITLES)  # before publishing: see seed_recording
        document.file = ContentFile(
            _demo_pdf(
                [
                    "Presentasjon: behov og tidsplan (demo)",
                    "Behovet: digital overvåking av farleder.",
                    "Konkurransen kunngjøres i Doffin.",
                ]
            ),
            name="presentasjon.pdf",
        )
        save_document(document=document, changed_fields={"file"})
        publish_document(document_id=document.pk, actor=None)
    if not conference.clarifications.filter(title_nb=CLARIFICATION[0]).exists():
        clarification = Clarification(
            conference=conference, title=CLARIFICATION[0], text=CLARIFICATION[1]
        )
        _fill_clarification(clarification)  # before publishing: see seed_recording
        clarification = save_clarification(clarification=clarification)
        publish_clarification(clarification_id=clarification.pk, actor=None)


def _fill(obj: object, field: str, texts: tuple[str | None, str | None]) -> list[str]:
    """Set the Nynorsk and English text of ``field`` where still empty; the names set."""
    changed = []
    for language, text in zip(("nn", "en"), texts, strict=True):
        name = f"{field}_{language}"
        if text and not getattr(obj, name):
            setattr(obj, name, text)
            changed.append(name)
    return changed


def _fill_recording(recording: Recording) -> list[str]:
    changed = _fill(recording, "title", RECORDING_TITLES)
    changed += _fill(
        recording,
        "transcript",
        tuple("\n".join(text for _s, _e, text in CAPTIONS[lang]) for lang in ("nn", "en")),
    )
    return changed


def _fill_clarification(clarification: Clarification) -> list[str]:
    changed = _fill(clarification, "title", (CLARIFICATION_NN[0], CLARIFICATION_EN[0]))
    changed += _fill(clarification, "text", (CLARIFICATION_NN[1], CLARIFICATION_EN[1]))
    return changed


def _save_texts(obj: Any, changed: list[str]) -> None:
    # A published item is read-only in the admin; the demo writes its texts directly, once.
    if changed:
        type(obj)._default_manager.filter(pk=obj.pk).update(
            **{name: getattr(obj, name) for name in changed}
        )


def seed_translations(conference: Conference) -> None:
    """The demo's texts in Nynorsk and English (only where still empty: safe to run again)."""
    buyer = conference.buyer
    _save_texts(
        buyer, _fill(buyer, "name", BUYER_NAMES) + _fill(buyer, "email_signature", BUYER_SIGNATURES)
    )
    changed = [
        name
        for field, texts in CONFERENCE_TEXTS.items()
        for name in _fill(conference, field, texts)
    ]
    rules = []
    for language in ("nn", "en"):
        with translation.override(language):
            rules.append(default_dialogue_rules())
    changed += _fill(conference, "dialogue_rules", (rules[0], rules[1]))
    if not (conference.offers_nn and conference.offers_en):
        conference.offers_nn = conference.offers_en = True
        changed += ["offers_nn", "offers_en"]
    _save_texts(conference, changed)
    for item in conference.agenda_items.all():
        changed = _fill(item, "title", AGENDA_TEXTS.get(item.title_nb, (None, None)))
        changed += _fill(item, "speaker", SPEAKER_TEXTS.get(item.speaker_nb or "", (None, None)))
        _save_texts(item, changed)
    for recording in conference.recordings.all():
        _save_texts(recording, _fill_recording(recording))
        for chapter in recording.chapters.all():
            _save_texts(
                chapter, _fill(chapter, "title", CHAPTER_TEXTS.get(chapter.title_nb, (None, None)))
            )
        if not recording.captions.filter(language="nn").exists() and recording.is_published:
            # A recording published before the Nynorsk captions existed: the track is added
            # as the other ones were (captions are files beside the recording).
            Caption.objects.create(
                recording=recording,
                language="nn",
                file=ContentFile(_webvtt(CAPTIONS["nn"]), name="nn.vtt"),
            )
    for document in conference.documents.filter(title_nb=DOCUMENT_TITLE):
        _save_texts(document, _fill(document, "title", DOCUMENT_TITLES))
    for clarification in conference.clarifications.filter(title_nb=CLARIFICATION[0]):
        _save_texts(clarification, _fill_clarification(clarification))
