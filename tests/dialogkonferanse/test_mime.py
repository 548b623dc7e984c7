"""The outbox's own MIME writer against Django's: the same message, part for part."""

from __future__ import annotations

import email
import email.policy

import pytest

from dialogkonferanse.mime import build_message, message_bytes, mime_bytes

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Dialogkonferanse//EN\r\nBEGIN:VEVENT\r\n"
    "SUMMARY:Marknadsdialog om sensorar på bøyer\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()

CASES = {
    "text only": {"body_html": "", "attachments": []},
    "text and html": {"body_html": "<p>Hei Kari, <a href='https://x.example/t'>lenke</a></p>"},
    "with invite": {
        "body_html": "<p>Påmelding mottatt</p>",
        "attachments": [("invitasjon.ics", ICS, "text/calendar")],
    },
    "binary and non-ascii filename": {
        "body_html": "",
        "attachments": [("rapport æøå.pdf", b"%PDF-1.7\n\x00\xff\xfe" * 40, "application/pdf")],
    },
    "long line": {"body_text": "ø" * 700 + "\nslutt", "body_html": "<p>" + "x" * 1200 + "</p>"},
}


def _walk(message: email.message.Message) -> list[tuple]:
    parts = []
    for part in message.walk():
        parts.append(
            (
                part.get_content_type(),
                part.get_content_charset(),
                part.get_filename(),
                part.get_content_disposition(),
                None if part.is_multipart() else part.get_payload(decode=True),
            )
        )
    return parts


LONG_SUBJECT = "Dette gjekk du glipp av: sensorar på bøyer " * 3


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "subject", ["Kort emne", LONG_SUBJECT, "Påmelding 🎉 mottatt " * 6, "æ" * 150, "ø"]
)
def test_same_message_as_django(settings, name, subject):
    settings.DEFAULT_FROM_EMAIL = "Innkjøp Kystverket <noreply@kystverket.example>"
    arguments = {
        "subject": subject,
        "body_text": "Hei Kari,\n\nDin lenke: https://x.example/t/abc\n\nHelsing\nKystverket",
        "to_email": "kari@leverandor.example",
        "reply_to": "innkjop@kystverket.example",
        "idempotency_key": f"mime-test-{name}",
        "attachments": [],
        **CASES[name],
    }
    ours = message_bytes(**arguments)
    django = mime_bytes(build_message(**arguments))

    mine = email.message_from_bytes(ours, policy=email.policy.default)
    theirs = email.message_from_bytes(django, policy=email.policy.default)
    for header in ("Subject", "From", "To", "Reply-To", "Message-ID", "Auto-Submitted"):
        assert mine[header] == theirs[header], header
    assert mine["Subject"] == subject
    assert mine["Date"] is not None
    assert _walk(mine) == _walk(theirs)
    assert not mine.defects
    assert all(not p.defects for p in mine.walk())
    for line in ours.split(b"\r\n"):
        assert len(line) <= 998
    head = ours.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b"")  # CRLF line ends only


def test_international_domain_and_display_name_as_django_writes_them(settings):
    settings.DEFAULT_FROM_EMAIL = "Innkjøp Kystverket <noreply@kystverket.example>"
    arguments = {
        "subject": "Emne",
        "body_text": "Tekst",
        "body_html": "",
        "to_email": "kari@leverandør.example",
        "reply_to": "innkjop@kystverket-øst.example",
        "idempotency_key": "idn",
    }
    ours = message_bytes(**arguments)
    django = mime_bytes(build_message(**arguments))

    head = ours.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # sent without SMTPUTF8: every header in ASCII
    assert b"To: kari@xn--leverandr-s8a.example" in head
    mine = email.message_from_bytes(ours, policy=email.policy.default)
    theirs = email.message_from_bytes(django, policy=email.policy.default)
    for header in ("From", "To", "Reply-To"):
        assert mine[header] == theirs[header], header


def test_boundaries_differ_per_message():
    arguments = {
        "subject": "Emne",
        "body_text": "Tekst",
        "body_html": "<p>Tekst</p>",
        "to_email": "kari@leverandor.example",
        "reply_to": "",
        "idempotency_key": "boundary",
    }
    first = email.message_from_bytes(message_bytes(**arguments))
    second = email.message_from_bytes(message_bytes(**arguments))
    assert first.get_boundary() != second.get_boundary()
    assert "Reply-To" not in first


def test_subject_with_line_break_is_refused():
    with pytest.raises(ValueError, match="single line"):
        message_bytes(
            subject="Emne\r\nBcc: x@y.example",
            body_text="Tekst",
            body_html="",
            to_email="kari@leverandor.example",
            reply_to="",
            idempotency_key="injection",
        )
