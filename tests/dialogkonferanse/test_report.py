"""The dialogue report: every section with the right counts, as HTML and as a real PDF."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from meetings.models import Meeting, Minutes, Slot
from meetings.selectors import meeting_figures_for_report
from meetings.services import book_slot, cancel_meeting_by_staff, generate_slots, join_waiting_list
from qa.models import Answer
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_question,
    make_registration,
    make_slot,
    make_staff,
)

pytestmark = pytest.mark.django_db

NYNORSK_FIGURES = [
    "6 tilbodne møtetider.",
    "1 møtetid utan bestilt møte.",
    "6 bestilte møte, avlyste medrekna.",
    "1 halde møte (oppmøte registrert).",
    "1 møte der leverandøren ikkje møtte.",
    "1 avlyst møte.",
    "3 møte der oppmøtet ikkje er registrert enno.",
    "2 oppføringar på ventelista.",
    "1 ledig møtetid tilboden til ventelista.",
    "1 tilbod godteke.",
]


@pytest.fixture
def conference():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP, offers_one_to_one=True)
    a = make_registration(conference=conference, organisation_name="Alfa Bygg AS")
    b = make_registration(conference=conference, organisation_name="Beta Drift AS")
    make_registration(
        conference=conference, organisation_name="Gamma AS", cancelled_at=timezone.now()
    )
    answered = make_question(registration=a, status="answered", text="Hva er budsjettet?")
    Answer.objects.create(question=answered, text="Rundt 10 MNOK.", published_at=timezone.now())
    make_question(registration=b, status="answered", answered_live=True, text="Når?")
    make_question(registration=b, status="rejected", text="Reklame")
    settings_row = make_meeting_settings(conference=conference)
    team = settings_row.teams.first()
    past = make_slot(team=team, starts_at=timezone.now() - dt.timedelta(days=1))
    meeting = Meeting.objects.create(conference=conference, slot=past, registration=a)
    Minutes.objects.create(
        meeting=meeting,
        attendance="held",
        internal_notes="Hemmelig prisnivå.",
        public_summary="Tema: leveransemodell.",
    )
    for i, status in enumerate([EmailStatus.SENT, EmailStatus.SENT, EmailStatus.FAILED]):
        OutboundEmail.objects.create(
            kind="registration_confirmation",
            to_email=f"x{i}@example.org",
            language="nb",
            subject="S",
            body_text="B",
            idempotency_key=f"report-{i}",
            status=status,
            sent_at=timezone.now() if status == EmailStatus.SENT else None,
            conference=conference,
        )
    return conference


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _figures(html: str) -> list[str]:
    """The sentences of the meeting section's figures, as rendered."""
    [block] = re.findall(r'<ul class="counts" id="meeting-figures">(.*?)</ul>', html, re.S)
    return [_text(item).strip() for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_report_html_has_every_section_with_counts(client, conference):
    client.force_login(make_staff())

    response = client.get(
        reverse("admin:conferences_conference_report", args=[conference.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    assert f"Dialogue report: {conference.title}" in text
    assert "3 registrations (2 active, 1 cancelled), 3 companies." in text
    for company in ("Alfa Bygg AS", "Beta Drift AS", "Gamma AS"):
        assert company in text
    assert (
        "Questions: 3; published to all: 2; answered live: 1; answered in writing: 1; "
        "not published: 1; merged: 0." in text
    )
    assert "Rundt 10 MNOK." in text
    assert _figures(html) == [
        "1 slot offered.",
        "0 slots left without a booked meeting.",
        "1 meeting booked, cancelled ones included.",
        "1 meeting held (attendance recorded).",
        "0 no-shows: the supplier did not attend.",
        "0 meetings cancelled.",
        "0 meetings with attendance not recorded yet.",
        "0 waiting-list entries.",
        "0 freed slots offered to the waiting list.",
        "0 offers accepted.",
    ]
    assert "Tema: leveransemodell." in text
    assert "Internal, on file" in text
    assert "Hemmelig prisnivå." not in text
    assert re.search(r"Registration confirmation 3 2 1 0", text)
    assert "Written answer published to all" in text
    assert "Recordings" in text
    assert 'href="/static/dialogkonferanse/report.css"' in html
    assert "<style" not in html  # strict CSP: no inline styles
    assert "style=" not in html


def test_report_pdf_is_a_pdf_with_the_title(client, conference):
    import pypdf

    client.force_login(make_staff())

    response = client.get(
        reverse("admin:conferences_conference_report_pdf", args=[conference.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert conference.title in text
    assert "Alfa Bygg AS" in text


def test_report_is_for_procurement_staff_only(client, conference):
    client.force_login(make_moderator())

    response = client.get(reverse("admin:conferences_conference_report", args=[conference.pk]))

    assert response.status_code == 403


def test_report_recordings_section_lists_published_recordings(client, conference):
    from conferences.models import Recording

    recording = Recording(
        conference=conference,
        title="Opptak dag 1",
        sha256="ab" * 32,
        external_url="https://www.youtube-nocookie.com/embed/abc123",
        provider="youtube",
    )
    recording.published_at = timezone.now()
    Recording.objects.bulk_create([recording])
    client.force_login(make_staff())

    response = client.get(reverse("admin:conferences_conference_report", args=[conference.pk]))

    text = _text(response.content.decode())
    assert "Opptak dag 1" in text
    assert "ab" * 32 in text


@pytest.fixture
def recorded_meetings():
    """Six slots; six bookings with every outcome; two on the waiting list, one offer taken.

    One past meeting has no attendance recorded: the report must not count it as held.
    """
    conference = make_conference(status=ConferenceStatus.LIVE, offers_one_to_one=True)
    team = make_meeting_settings(conference=conference).teams.first()
    generate_slots(conference_id=conference.pk)
    future = list(Slot.objects.filter(conference=conference).order_by("starts_at"))
    yesterday = timezone.now() - dt.timedelta(days=1)

    def supplier(name: str):
        return make_registration(
            conference=conference, organisation_name=name, wants_one_to_one=True
        )

    for hours, name, attendance in (
        (0, "Alfa AS", "held"),
        (1, "Beta AS", "no_show"),
        (2, "Gamma AS", None),
    ):
        meeting = Meeting.objects.create(
            conference=conference,
            slot=make_slot(team=team, starts_at=yesterday + dt.timedelta(hours=hours)),
            registration=supplier(name),
            booked_at=yesterday - dt.timedelta(days=3),
            notified_sequence=0,
        )
        if attendance:
            Minutes.objects.create(meeting=meeting, attendance=attendance)
    book_slot(registration_id=supplier("Delta AS").pk, slot_id=future[0].pk)
    leaving = book_slot(registration_id=supplier("Epsilon AS").pk, slot_id=future[1].pk)
    waiting = supplier("Zeta AS")
    join_waiting_list(registration_id=waiting.pk)
    join_waiting_list(registration_id=supplier("Eta AS").pk)
    cancel_meeting_by_staff(meeting_id=leaving.pk, actor=make_staff())  # offered to Zeta
    book_slot(registration_id=waiting.pk, slot_id=future[1].pk)  # Zeta takes the offer
    return conference


def test_report_meeting_figures_are_what_was_recorded(client, recorded_meetings):
    client.force_login(make_staff())

    response = client.get(
        reverse("admin:conferences_conference_report", args=[recorded_meetings.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert _figures(html) == [
        "6 slots offered.",
        "1 slot left without a booked meeting.",
        "6 meetings booked, cancelled ones included.",
        "1 meeting held (attendance recorded).",
        "1 no-show: the supplier did not attend.",
        "1 meeting cancelled.",
        "3 meetings with attendance not recorded yet.",
        "2 waiting-list entries.",
        "1 freed slot offered to the waiting list.",
        "1 offer accepted.",
    ]
    [table] = re.findall(r'<section id="meetings">.*?<tbody>(.*?)</tbody>', html, re.S)
    rows = [
        [_text(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)][2:4]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    assert rows == [
        ["Alfa AS", "Held"],
        ["Beta AS", "Supplier did not attend"],
        ["Gamma AS", "Not recorded"],
        ["Delta AS", "Not recorded"],
        ["Epsilon AS", "Cancelled"],
        ["Zeta AS", "Not recorded"],
    ]


def test_report_meeting_figures_in_norwegian(client, recorded_meetings):
    client.force_login(make_staff())

    response = client.get(
        reverse("admin:conferences_conference_report", args=[recorded_meetings.pk]),
        HTTP_ACCEPT_LANGUAGE="nn",
    )

    assert _figures(response.content.decode()) == NYNORSK_FIGURES


def test_meeting_figures_for_report_counts_partition_the_bookings(recorded_meetings):
    figures = meeting_figures_for_report(conference_id=recorded_meetings.pk)

    assert (
        figures.held + figures.no_shows + figures.cancelled + figures.not_recorded,
        figures.booked,
    ) == (6, 6)
