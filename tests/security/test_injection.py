"""Injection into files and mail: CSV formulas in every CSV export, header injection in
emails (CR/LF in names, titles and addresses), property injection in calendar files."""

from __future__ import annotations

import csv
import email
import email.policy
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from conferences.choices import ConferenceStatus
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.outbox.delivery import deliver_queued_emails
from dialogkonferanse.outbox.queue import queue_email
from qa.models import Answer
from registrations.services import reissue_access_link
from tests.factories import make_conference, make_question, make_registration, make_user

pytestmark = pytest.mark.django_db

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]  # fmt: skip
HEADER_INJECTION = "Evil\r\nBcc: bcc@evil.example\r\nX-Injected: yes"
ICS_INJECTION = "Evil\r\nATTENDEE:mailto:spy@evil.example\r\nEND:VEVENT\r\nBEGIN:VEVENT"


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


# --- CSV formula injection ------------------------------------------------------------------


@pytest.mark.parametrize("formula", FORMULAS)
def test_injection_public_log_csv_neutralises_every_text_column(formula):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    asker = make_registration(conference=conference, organisation_name=formula)
    published = make_question(
        registration=asker, status="answered", text=formula, topics=formula, show_company=True
    )
    Answer.objects.create(question=published, text=formula, published_at=timezone.now())
    make_question(conference=conference, status="rejected", text="Nei?", rejection_reason=formula)

    response = Client(headers={"accept-language": "en"}).get(
        f"/conferences/{conference.slug}/questions.csv"
    )

    header, *rows = _csv(response.content)
    by_question = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    answered = by_question[str(published.pk)]
    rejected = next(row for key, row in by_question.items() if key != str(published.pk))
    neutral = "'" + formula
    assert answered["Question"] == neutral
    assert answered["Company (if the asker chose to show it)"] == neutral
    assert answered["Answer"] == neutral
    assert answered["Topics"] == neutral
    assert rejected["Reason or note"] == neutral
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


@pytest.mark.parametrize("formula", FORMULAS)
def test_injection_registration_export_neutralises_every_text_column(formula):
    admin = Client(headers={"accept-language": "en"})
    admin.force_login(make_user(superuser=True))
    conference = make_conference(title=formula)
    registration = make_registration(
        conference=conference,
        organisation_name=formula,
        national_id=formula,
        contact_name=formula,
        phone=formula,
        wants_one_to_one=True,
        one_to_one_topics=formula,
        email=f"{formula[:1]}kari@example.no" if formula[0] in "=+-@" else "kari@example.no",
    )

    response = admin.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "export_csv", "_selected_action": [registration.pk]},
    )

    header, row = _csv(response.content)
    by_column = dict(zip(header, row, strict=True))
    for column in ("Conference", "Organisation", "National or VAT identifier",
                   "Contact person", "Phone", "Topics"):  # fmt: skip
        assert by_column[column] == "'" + formula, column
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


# --- Email header injection -----------------------------------------------------------------


def _headers(row: OutboundEmail) -> email.message.EmailMessage:
    return email.message_from_bytes(bytes(row.mime), policy=email.policy.default)


def test_injection_crlf_in_conference_title_adds_no_header(smtp_server):
    conference = make_conference(title=HEADER_INJECTION)
    client = Client(headers={"accept-language": "en"})

    response = client.post(
        f"/conferences/{conference.slug}/register/",
        {
            "organisation_name": "Trygg AS",
            "country": "NO",
            "organisation_number": "974760673",
            "contact_name": "Kari",
            "email": "kari@example.no",
            "language": "en",
            "privacy_acknowledged": "on",
        },
    )
    row = OutboundEmail.objects.get()
    message = _headers(row)
    deliver_queued_emails()

    assert response.status_code == 302
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert "\n" not in row.subject
    assert "\r" not in row.subject
    assert "Evil Bcc: bcc@evil.example X-Injected: yes" in str(message["Subject"])
    assert [to for _from, to in smtp_server.envelopes] == [["kari@example.no"]]
    assert smtp_server.messages[0]["Bcc"] is None


def test_injection_crlf_in_stored_contact_name_adds_no_header_or_ics_line():
    """A name that bypassed the form (admin, import) still cannot forge headers."""
    registration = make_registration(
        contact_name=HEADER_INJECTION, organisation_name=HEADER_INJECTION
    )

    reissue_access_link(registration_id=registration.pk)

    row = OutboundEmail.objects.get(registration=registration)
    message = _headers(row)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert message.get_all("To") == [registration.email]
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = Calendar.from_ical(part.get_payload(decode=True))
            assert len(calendar.walk("VEVENT")) == 1


@pytest.mark.parametrize(
    "address",
    [
        "kari@example.no\r\nBcc: bcc@evil.example",
        "kari@example.no, bcc@evil.example",
        "kari@example.no\nCc: x@evil.example",
    ],
)
def test_injection_recipient_with_crlf_or_list_is_refused(address, smtp_server):
    conference = make_conference()
    common = {"kind": "test", "language": "en", "template": "registration_link", "context": {}}

    as_recipient = queue_email(
        **common, to=address, idempotency_key="injection-test", conference=conference
    )
    as_reply_to = queue_email(
        **common,
        to="kari@example.no",
        reply_to=address,
        idempotency_key="injection-test-2",
        conference=conference,
    )
    result = deliver_queued_emails()

    assert {e.status for e in (as_recipient, as_reply_to)} == {EmailStatus.FAILED}
    assert all("valid email address" in e.last_error for e in (as_recipient, as_reply_to))
    assert (bytes(as_recipient.mime), bytes(as_reply_to.mime)) == (b"", b"")
    assert (result.sent, smtp_server.raw) == ([], [])


# --- Calendar property injection ------------------------------------------------------------


def test_injection_crlf_in_conference_texts_stays_inside_ics_properties():
    conference = make_conference(title=ICS_INJECTION, summary=ICS_INJECTION)

    response = Client().get(f"/conferences/{conference.slug}/calendar.ics")

    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    assert "ATTENDEE" not in events[0]
    assert str(events[0]["SUMMARY"]).replace("\r\n", "\n") == ICS_INJECTION.replace("\r\n", "\n")
    lines = response.content.decode().split("\r\n")
    assert "ATTENDEE:mailto:spy@evil.example" not in lines
    assert sum(1 for line in lines if line == "BEGIN:VEVENT") == 1
