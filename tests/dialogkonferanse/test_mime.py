"""The stored wire form of an outbox email (Django's email classes): parsed back with the
``email`` package, its headers and parts are what the outbox asked for."""

from __future__ import annotations

import email
import email.message
import email.policy

import pytest
from django.core.mail import BadHeaderError

from dialogkonferanse.outbox.message import message_bytes, message_id

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Dialogkonferanse//EN\r\nBEGIN:VEVENT\r\n"
    "SUMMARY:Marknadsdialog om sensorar på bøyer\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()
PDF = b"%PDF-1.7\n\x00\xff\xfe" * 40
TEXT = "Hei Kari,\n\nDin lenke: https://x.example/t/abc\n\nHelsing\nKystverket\n"
HTML = "<p>Hei Kari, <a href='https://x.example/t'>lenke</a></p>"


def _arguments(**overrides) -> dict:
    values = {
        "subject": "Kort emne",
        "body_text": TEXT,
        "body_html": HTML,
        "to_email": "kari@leverandor.example",
        "reply_to": "innkjop@kystverket.example",
        "idempotency_key": "mime-test",
        "attachments": [],
    }
    values.update(overrides)
    return values


def _parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def _text(part: email.message.EmailMessage) -> str:
    """A text part's content with the wire's CRLF line ends read as newlines."""
    return part.get_content().replace("\r\n", "\n")


def _structure(message: email.message.Message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def _assert_well_formed(data: bytes) -> None:
    message = _parse(data)
    assert not message.defects
    assert all(not part.defects for part in message.walk())
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends only
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # sent without SMTPUTF8: every header in ASCII
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


@pytest.fixture(autouse=True)
def _sender(settings) -> None:
    settings.DEFAULT_FROM_EMAIL = "Innkjøp Kystverket <noreply@kystverket.example>"


def test_message_bytes_headers_read_back():
    data = message_bytes(**_arguments())

    message = _parse(data)
    assert message["Subject"] == "Kort emne"
    assert message["From"] == "Innkjøp Kystverket <noreply@kystverket.example>"
    assert message["To"] == "kari@leverandor.example"
    assert message["Reply-To"] == "innkjop@kystverket.example"
    assert message["Message-ID"] == message_id("mime-test")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime is not None
    assert message["Bcc"] is None
    _assert_well_formed(data)


def test_message_bytes_text_only_is_one_plain_part():
    message = _parse(message_bytes(**_arguments(body_html="")))

    assert _structure(message) == ["text/plain"]
    assert message.get_content_charset() == "utf-8"
    assert _text(message) == TEXT


def test_message_bytes_text_and_html_are_alternatives():
    message = _parse(message_bytes(**_arguments()))

    assert _structure(message) == ["multipart/alternative", "text/plain", "text/html"]
    assert _text(message.get_body(("plain",))) == TEXT
    assert _text(message.get_body(("html",))) == HTML


def test_message_bytes_invite_is_calendar_request_attachment():
    data = message_bytes(
        **_arguments(attachments=[("invitasjon.ics", ICS, "text/calendar; method=REQUEST")])
    )

    message = _parse(data)
    assert _structure(message) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    [invite] = list(message.iter_attachments())
    assert invite.get_filename() == "invitasjon.ics"
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_content_charset() == "utf-8"
    assert str(invite["Content-Type"]).lower().count("charset") == 1
    assert invite.get_content().encode() == ICS
    assert _text(message.get_body(("plain",))) == TEXT
    _assert_well_formed(data)


def test_message_bytes_binary_attachment_with_non_ascii_name_is_base64():
    data = message_bytes(
        **_arguments(body_html="", attachments=[("rapport æøå.pdf", PDF, "application/pdf")])
    )

    message = _parse(data)
    assert _structure(message) == ["multipart/mixed", "text/plain", "application/pdf"]
    [report] = list(message.iter_attachments())
    assert report.get_filename() == "rapport æøå.pdf"
    assert report["Content-Transfer-Encoding"] == "base64"
    assert report.get_content() == PDF
    _assert_well_formed(data)


def test_message_bytes_long_lines_are_quoted_printable_and_read_back():
    text = "ø" * 700 + "\nslutt\n"
    html = "<p>" + "x" * 1200 + "</p>"

    data = message_bytes(**_arguments(body_text=text, body_html=html))

    message = _parse(data)
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert (_text(plain), _text(rich)) == (text, html)
    _assert_well_formed(data)


@pytest.mark.parametrize(
    "subject",
    [
        "Dette gjekk du glipp av: sensorar på bøyer " * 3,
        "Påmelding 🎉 mottatt " * 6,
        "æ" * 150,
        "ø",
        "A plain ASCII subject that is long enough to need folding across two header lines",
    ],
)
def test_message_bytes_subject_reads_back_exactly(subject):
    subject = subject.strip()

    data = message_bytes(**_arguments(subject=subject))

    assert _parse(data)["Subject"] == subject
    _assert_well_formed(data)


def test_message_bytes_international_domains_in_punycode():
    data = message_bytes(
        **_arguments(to_email="kari@leverandør.example", reply_to="innkjop@kystverket-øst.example")
    )

    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"To: kari@xn--leverandr-s8a.example\r\n" in head
    assert b"Reply-To: innkjop@xn--kystverket-st-lnb.example\r\n" in head
    assert _parse(data)["From"] == "Innkjøp Kystverket <noreply@kystverket.example>"
    _assert_well_formed(data)


def test_message_bytes_boundaries_differ_per_message():
    first = _parse(message_bytes(**_arguments(reply_to="")))
    second = _parse(message_bytes(**_arguments(reply_to="")))

    assert first.get_boundary() != second.get_boundary()
    assert "Reply-To" not in first


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Emne\r\nBcc: x@evil.example"},
        {"subject": "Emne\nBcc: x@evil.example"},
        {"subject": "Emne\x0bBcc: x@evil.example"},
        {"to_email": '"a\x0bBcc:x@evil.example"@probe.example'},
        {"to_email": '"a\x0cBcc:x@evil.example"@probe.example'},
        {"to_email": '"a\x1eBcc:x@evil.example"@probe.example'},
        {"to_email": "kari@probe\u2028bcc.example"},
        {"reply_to": '"a\x0bBcc:x@evil.example"@probe.example'},
    ],
    ids=repr,
)
def test_message_bytes_control_character_in_a_header_is_refused(overrides):
    with pytest.raises(BadHeaderError):
        message_bytes(**_arguments(**overrides))


def test_message_bytes_control_character_in_sender_is_refused(settings):
    settings.DEFAULT_FROM_EMAIL = "Innkjøp\x0bBcc: x@evil.example <noreply@kystverket.example>"

    with pytest.raises(BadHeaderError):
        message_bytes(**_arguments())


def test_the_console_echo_of_the_embedded_backend_shows_a_stored_emails_subject_and_text(
    tmp_path, settings, capsys
):
    """``make run`` echoes each email it sends; the outbox sends stored MIME, so the echo reads
    the subject and the text part from it (a ``StoredEmailMessage`` has no subject or body)."""
    from dialogkonferanse.outbox.backends import FileAndConsoleEmailBackend
    from dialogkonferanse.outbox.message import StoredEmailMessage

    settings.EMAIL_FILE_PATH = str(tmp_path)
    subject = "Påmelding til «Marknadsdialog om sensorar på bøyer»:" + " lang" * 12
    mime = message_bytes(**_arguments(subject=subject))
    backend = FileAndConsoleEmailBackend(file_path=str(tmp_path))

    sent = backend.send_messages(
        [StoredEmailMessage(mime=mime, to_email="kari@leverandor.example")]
    )

    echoed = capsys.readouterr().out
    assert sent == 1
    assert f"--- email to kari@leverandor.example: {subject}\n" in echoed
    assert "Din lenke: https://x.example/t/abc" in echoed
    assert "<p>" not in echoed
