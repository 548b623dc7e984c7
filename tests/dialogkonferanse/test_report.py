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
from meetings.models import Meeting, Minutes
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
    assert "Registrations: 3 (2 active, 1 cancelled), companies: 3." in text
    for company in ("Alfa Bygg AS", "Beta Drift AS", "Gamma AS"):
        assert company in text
    assert (
        "Questions: 3; published to all: 2; answered live: 1; answered in writing: 1; "
        "not published: 1; merged: 0." in text
    )
    assert "Rundt 10 MNOK." in text
    assert "Meetings booked: 1, of which held (time passed): 1." in text
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
