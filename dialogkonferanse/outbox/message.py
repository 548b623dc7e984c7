"""The MIME form of an outbox email, built once by Django's email classes when it is queued.

Sending then writes the stored bytes to the SMTP connection instead of rebuilding the message
for every attempt (the approach of django-mailer), and what was sent stays byte-for-byte what
the outbox recorded. The stored form is the only copy of the personal link: the subject and
bodies kept as the record are redacted (``emails.queue_email``).

Django refuses CR and LF in header values (``BadHeaderError``); ``build_message`` refuses
every other control character and line separator too, which mail software may treat as a
line break when it parses the message and writes it out again.
"""

from __future__ import annotations

import email
import hashlib
import secrets
from collections.abc import Iterable
from email.header import Header
from email.message import Message
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from django.core.mail.message import MIMEMixin

from dialogkonferanse.common.validators import has_control_characters


def message_id(idempotency_key: str) -> str:
    # Stable per row: a receiving system can spot the duplicate left by a worker killed mid-send.
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<outbox.{digest}@{domain}>"


def build_message(
    *,
    subject: str,
    body_text: str,
    body_html: str,
    to_email: str,
    reply_to: str,
    idempotency_key: str,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    connection: Any = None,
) -> EmailMultiAlternatives:
    """The Django message for an outbox email: text, an optional HTML alternative, attachments.

    Raises ``BadHeaderError`` if the subject or an address holds a line break or another
    control character (``to_email`` and ``reply_to`` single addresses, checked by the caller).
    """
    headers = {"Subject": subject, "From": settings.DEFAULT_FROM_EMAIL, "To": to_email}
    if reply_to:
        headers["Reply-To"] = reply_to
    for name, value in headers.items():
        if has_control_characters(value):
            raise BadHeaderError(f"{name} must not contain control characters: {value!r}")
    message = EmailMultiAlternatives(
        subject=subject,
        body=body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to_email],
        reply_to=[reply_to] if reply_to else None,
        headers={"Message-ID": message_id(idempotency_key), "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, bytes(content), mimetype)
    return message


def wire_bytes(message: EmailMessage) -> bytes:
    """What Django's SMTP backend sends for ``message`` (CRLF line ends).

    Each multipart gets a random 128-bit boundary up front: left to itself, the ``email``
    generator invents one and compiles a fresh regular expression per part to check it against
    the body, which costs a third of the serialisation (and this runs inside the request that
    queues the email). Nobody can put an unseen random boundary into a body.
    """
    mime = message.message()
    if not message.subject.isascii():
        # Django folds the encoded subject without counting "Subject: ", so the generator moves
        # all of it to a continuation line and readers show a leading space. Encoded with the
        # header name, the first encoded word stays on the Subject line.
        mime.replace_header("Subject", Header(message.subject, "utf-8", header_name="Subject"))
    for part in mime.walk():
        if part.is_multipart():
            part.set_boundary(f"=_{secrets.token_hex(16)}")
    return mime.as_bytes(linesep="\r\n")


def message_bytes(**arguments: Any) -> bytes:
    """The wire form of ``build_message(**arguments)``."""
    return wire_bytes(build_message(**arguments))


class _ParsedMime(MIMEMixin, Message):
    """A parsed message that Django's backends serialise as they do their own."""


class StoredEmailMessage(EmailMessage):
    """An email whose MIME bytes were stored in the outbox; backends send them unchanged."""

    def __init__(self, *, mime: bytes, to_email: str, connection: Any = None) -> None:
        super().__init__(
            from_email=settings.DEFAULT_FROM_EMAIL, to=[to_email], connection=connection
        )
        self.stored_mime = bytes(mime)

    def message(self) -> Message:  # type: ignore[override]
        return email.message_from_bytes(self.stored_mime, _class=_ParsedMime)
