"""Cross-site scripting: each payload typed into every text input (supplier, moderator and
staff) and read back from every output: HTML pages, live-event (SSE) payloads, HTML and text
emails, calendar files and the CSV export.

HTML must show the payload as text (escaped, never raw); an HTML email must carry no markup
from it; an SSE frame must stay one line of JSON (the client inserts text, never HTML); the
ICS and CSV must return the payload as the same text, never as a new property or formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from icalendar import Calendar

from conferences.choices import ConferenceStatus
from conferences.models import AgendaItem
from dialogkonferanse.models import OutboundEmail
from qa import services
from qa.models import LiveEvent, Question
from registrations.models import Registration
from tests.factories import make_buyer, make_conference
from tests.security.conftest import DANGEROUS, XSS_PAYLOADS

pytestmark = pytest.mark.django_db

JAVASCRIPT_URL = re.compile(r"""\b(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def assert_escaped(html: str, payload: str, *, where: str, shown: bool = True) -> None:
    """The payload is on the page only as text: never raw, and (when shown) escaped."""
    if payload != escape(payload):
        assert payload not in html, f"raw payload in {where}"
    if shown:
        assert escape(payload) in html, f"payload not rendered in {where}"
    assert JAVASCRIPT_URL.search(html) is None, f"javascript: URL in {where}"


def assert_safe_email(row: OutboundEmail, payload: str) -> None:
    """HTML part: no markup from the payload; text part: the payload as typed."""
    assert DANGEROUS.search(row.body_html) is None, row.kind
    assert payload not in row.body_html or payload == escape(payload), row.kind
    message = email.message_from_bytes(bytes(row.mime), policy=email.policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert DANGEROUS.search(html) is None, row.kind
    assert "\n" not in str(message["Subject"]), row.kind


def _live(**overrides):
    values = {
        "status": ConferenceStatus.LIVE,
        "offers_one_to_one": True,
        "starts_at": timezone.now() - dt.timedelta(minutes=5),
        "registration_opens_at": timezone.now() - dt.timedelta(days=2),
        "registration_closes_at": timezone.now() + dt.timedelta(hours=1),
    }
    values.update(overrides)
    return make_conference(**values)


# --- Supplier input: the registration form --------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_registration_fields_escaped_in_pages_emails_and_calendar(payload, supplier):
    conference = _live()
    client = Client(headers={"accept-language": "en"})

    response = client.post(
        f"/conferences/{conference.slug}/register/",
        {
            "organisation_name": payload,
            "country": "SE",
            "national_id": payload[:50],
            "contact_name": payload,
            "email": "xss@example.se",
            "language": "en",
            "wants_one_to_one": "on",
            "one_to_one_topics": payload,
            "listed_publicly": "on",
            "privacy_acknowledged": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    registration = Registration.objects.get(email="xss@example.se")
    assert registration.organisation_name == payload  # stored as typed, escaped on output
    row = OutboundEmail.objects.get(registration=registration)
    token = row.mime.decode().split("/r/")[1].split("/")[0]
    viewer = Client(headers={"accept-language": "en"})
    viewer.get(f"/r/{token}/")

    personal = viewer.get(f"/me/{conference.slug}/").content.decode()
    public = Client().get(f"/conferences/{conference.slug}/").content.decode()

    assert_escaped(personal, payload, where="personal page")
    assert_escaped(personal, payload[:50], where="personal page (national id)")
    assert_escaped(public, payload, where="participant list")
    assert_safe_email(row, payload)
    assert payload in row.body_text
    invite = next(
        part
        for part in email.message_from_bytes(bytes(row.mime), policy=email.policy.default).walk()
        if part.get_content_type() == "text/calendar"
    )
    event = Calendar.from_ical(invite.get_payload(decode=True)).walk("VEVENT")[0]
    assert event["ATTENDEE"].params["CN"] == payload


# --- Supplier, moderator: questions, wording, topics, answers, rejection reasons -------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_question_chain_escaped_in_pages_events_emails_and_csv(
    payload, supplier, moderator_client
):
    conference = _live()
    asker, asker_client = supplier(conference)
    _, other_viewer = supplier(conference)
    slug = conference.slug
    asked = asker_client.post(f"/me/{slug}/stream/ask/", {"text": payload, "show_company": "on"})
    assert asked.status_code == 302
    question = Question.objects.get(registration=asker)
    wording = f"{payload} (corrected)"

    def moderate(action: str, **data: object) -> None:
        version = Question.objects.get(pk=question.pk).version
        response = moderator_client.post(
            f"/moderate/{slug}/questions/{question.pk}/{action}/", {"version": version, **data}
        )
        assert response.status_code == 302

    dashboard_before = moderator_client.get(f"/moderate/{slug}/").content.decode()
    moderate("approve", text=wording)
    moderate("tag", topics=payload)
    moderate("answer", text=payload)
    rejected = services.ask_question(registration_id=asker.pk, text="Avvist?")
    version = rejected.version
    moderator_client.post(
        f"/moderate/{slug}/questions/{rejected.pk}/reject/", {"version": version, "reason": payload}
    )
    question.refresh_from_db()
    assert (question.text, question.answer.text) == (wording, payload)

    pages = {
        "dashboard before approval": dashboard_before,
        "dashboard": moderator_client.get(f"/moderate/{slug}/").content.decode(),
        "card": moderator_client.get(
            f"/moderate/{slug}/questions/{question.pk}/card/"
        ).content.decode(),
        "asker's stream": asker_client.get(f"/me/{slug}/stream/").content.decode(),
        "other viewer's stream": other_viewer.get(f"/me/{slug}/stream/").content.decode(),
    }
    conference.status = ConferenceStatus.FOLLOW_UP
    conference.save()
    pages["public log"] = Client().get(f"/conferences/{slug}/questions/").content.decode()
    csv_response = Client().get(f"/conferences/{slug}/questions.csv")

    assert_escaped(pages["dashboard before approval"], payload, where="dashboard (asked)")
    for where in ("dashboard", "card", "asker's stream", "other viewer's stream", "public log"):
        assert_escaped(pages[where], wording, where=where)
        assert_escaped(pages[where], payload, where=where)  # the answer
    assert_escaped(pages["asker's stream"], payload, where="own rejected question reason")
    assert_escaped(pages["public log"], payload, where="public log reason")
    # Live events: one line of JSON each (a line break would start a new SSE field), carrying
    # plain text that the page's script inserts with textContent.
    events = list(LiveEvent.objects.filter(conference=conference).order_by("pk"))
    assert events
    for event in events:
        assert "\n" not in event.frame_data
        assert "\r" not in event.frame_data
        assert json.loads(event.frame_data) == event.payload
    texts = [e.payload.get("text") for e in events if e.channel == "viewers"]
    answers = [e.payload.get("answer") for e in events if e.channel == "viewers"]
    assert wording in texts
    assert payload in answers
    # Emails: the rejection to the asker, the digest of written answers.
    services.send_answer_digest(conference_id=conference.pk, moderator=None)
    rows = list(OutboundEmail.objects.filter(conference=conference))
    assert {row.kind for row in rows} >= {"qa_rejected", "qa_answer_digest"}
    for row in rows:
        assert_safe_email(row, payload)
    # CSV: a download, never rendered as a page; the cells hold the text as typed.
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"].startswith("attachment;")
    cells = [cell for row in csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")))
             for cell in row]  # fmt: skip
    assert wording in cells
    assert payload in cells


# --- Staff input shown to the public: conference texts, agenda, buyer -------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_staff_conference_texts_escaped_in_public_pages_emails_and_ics(payload, supplier):
    buyer = make_buyer(name=payload, email_signature=payload)
    conference = _live(
        buyer=buyer,
        title=payload,
        summary=payload,
        description=payload,
        dialogue_rules=payload,
    )
    AgendaItem.objects.create(
        conference=conference,
        starts_at=conference.starts_at,
        ends_at=conference.starts_at + dt.timedelta(minutes=30),
        title=payload,
        speaker=payload,
    )
    anonymous = Client(headers={"accept-language": "en"})
    _, viewer = supplier(conference)

    pages = {
        "list": anonymous.get("/").content.decode(),
        "detail": anonymous.get(f"/conferences/{conference.slug}/").content.decode(),
        "register": anonymous.get(f"/conferences/{conference.slug}/register/").content.decode(),
        "personal": viewer.get(f"/me/{conference.slug}/").content.decode(),
        "stream": viewer.get(f"/me/{conference.slug}/stream/").content.decode(),
    }
    ics = anonymous.get(f"/conferences/{conference.slug}/calendar.ics")
    registered = anonymous.post(
        f"/conferences/{conference.slug}/register/",
        {
            "organisation_name": "Trygg AS",
            "country": "NO",
            "organisation_number": "974760673",
            "contact_name": "Kari",
            "email": "trygg@example.no",
            "language": "en",
            "privacy_acknowledged": "on",
        },
    )

    for where, html in pages.items():
        assert_escaped(html, payload, where=where)
    assert registered.status_code == 302
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == payload
    assert len(Calendar.from_ical(ics.content).walk("VEVENT")) == 1
    row = OutboundEmail.objects.get(registration__email="trygg@example.no")
    assert_safe_email(row, payload)
