"""The MIME form of an outbox email, built once when the email is queued.

Sending then writes the stored bytes to the SMTP connection instead of rebuilding the message
for every attempt (the approach of django-mailer), which roughly halves the worker's work per
email and keeps what was sent byte-for-byte equal to what the outbox recorded.

``message_bytes`` writes that form directly: the outbox's emails have one fixed shape (text,
optional HTML alternative, optional attachments), and writing it is several times cheaper than
building ``email.message`` objects and running the generator over them, which matters because
it happens inside the request that queues the email. It writes what Django's SMTP backend would
send for the same message (the same parts, headers and transfer encodings); the tests parse
both and compare them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from collections.abc import Iterable
from email import quoprimime
from email.header import Header
from email.utils import encode_rfc2231, formataddr, formatdate, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import sanitize_address


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
    """The Django message for an outbox email (subject already one line, ``to`` checked)."""
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


def mime_bytes(message: EmailMessage) -> bytes:
    """The wire form (CRLF line ends) that Django's SMTP backend would send.

    Each multipart gets a random 128-bit boundary up front: left to itself, the ``email``
    generator invents one and compiles a fresh regular expression per part to check it against
    the body, which costs more than the rest of the serialisation. Nobody can put an unseen random
    boundary into a body, so the check is not needed.
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


# RFC 5322 caps a line at 998 octets; longer body lines are sent quoted-printable (as Django does).
_MAX_LINE = 998
_CRLF = "\r\n"


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _text_part(text: str, subtype: str, *, disposition: str = "") -> str:
    """A ``text/*`` part in UTF-8: 7bit or 8bit, or quoted-printable when a line is too long."""
    lines = _lines(text)
    # A character is at most four bytes: only lines longer than a quarter of the limit need
    # their encoded length counted.
    if any(len(line) * 4 > _MAX_LINE and len(line.encode()) > _MAX_LINE for line in lines):
        encoding = "quoted-printable"
        body = quoprimime.body_encode(text.encode().decode("latin-1"), eol=_CRLF)
    else:
        encoding = "7bit" if text.isascii() else "8bit"
        body = _CRLF.join(lines)
    head = f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}'
    head += f"Content-Transfer-Encoding: {encoding}{_CRLF}"
    if disposition:
        head += f"Content-Disposition: {disposition}{_CRLF}"
    return f"{head}{_CRLF}{body}"


def _attachment_disposition(filename: str) -> str:
    if filename.isascii() and not any(c in filename for c in '"\\\r\n'):
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*={encode_rfc2231(filename, 'utf-8')}"


def _attachment_part(filename: str, content: bytes, mimetype: str) -> str:
    disposition = _attachment_disposition(filename)
    maintype, _, subtype = (mimetype or "application/octet-stream").partition("/")
    if maintype == "text":
        try:
            return _text_part(bytes(content).decode(), subtype, disposition=disposition)
        except UnicodeDecodeError:
            pass  # not UTF-8 text after all: send it as it is, base64-encoded
    encoded = base64.encodebytes(bytes(content)).decode("ascii").replace("\n", _CRLF)
    return (
        f"Content-Type: {maintype}/{subtype}{_CRLF}"
        f"Content-Transfer-Encoding: base64{_CRLF}"
        f"Content-Disposition: {disposition}{_CRLF}{_CRLF}{encoded}"
    )


def _multipart(subtype: str, parts: list[str]) -> str:
    # A random 128-bit boundary cannot occur in any part, so nothing needs checking.
    boundary = f"=_{secrets.token_hex(16)}"
    body = "".join(f"--{boundary}{_CRLF}{part}{_CRLF}" for part in parts)
    return (
        f'Content-Type: multipart/{subtype};{_CRLF} boundary="{boundary}"{_CRLF}{_CRLF}'
        f"{body}--{boundary}--{_CRLF}"
    )


@functools.lru_cache(maxsize=64)
def _address_header(address: str) -> str:
    """An address as Django's backend writes it: the display name encoded, an international
    domain in punycode."""
    if address.isascii():
        name, addr = parseaddr(address)
        return formataddr((name, addr))
    return sanitize_address(address, "utf-8")


def _encoded_words(value: str, first_room: int) -> str:
    """``value`` as RFC 2047 base64 encoded words (UTF-8), each line within 78 characters and
    no character split between two words."""
    words: list[str] = []
    # RFC 2047: an encoded word is at most 75 characters.
    room, chunk, size = min(first_room, 75), [], 0
    for char in value:
        width = len(char.encode())
        # An encoded word is "=?utf-8?b?" + base64 + "?=": 12 characters around 4 per 3 bytes.
        if chunk and 12 + 4 * ((size + width + 2) // 3) > room:
            words.append(base64.b64encode("".join(chunk).encode()).decode("ascii"))
            room, chunk, size = 75, [], 0  # on a continuation line after one space
        chunk.append(char)
        size += width
    words.append(base64.b64encode("".join(chunk).encode()).decode("ascii"))
    return f"{_CRLF} ".join(f"=?utf-8?b?{word}?=" for word in words)


def _header(name: str, value: str) -> str:
    if value.isascii():
        if len(name) + 2 + len(value) <= 78:
            return f"{name}: {value}{_CRLF}"
        folded = Header(value, "us-ascii", header_name=name).encode(linesep=_CRLF)
        return f"{name}: {folded}{_CRLF}"
    return f"{name}: {_encoded_words(value, 78 - len(name) - 2)}{_CRLF}"


def message_bytes(
    *,
    subject: str,
    body_text: str,
    body_html: str,
    to_email: str,
    reply_to: str,
    idempotency_key: str,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> bytes:
    """The wire form (CRLF line ends) of an outbox email, as Django's SMTP backend would send
    ``build_message`` with the same arguments. ``subject`` must be one line, ``to_email`` and
    ``reply_to`` checked single addresses."""
    if "\r" in subject or "\n" in subject:
        raise ValueError("The subject must be a single line.")
    body = _text_part(body_text, "plain")
    if body_html:
        body = _multipart("alternative", [body, _text_part(body_html, "html")])
    files = [_attachment_part(*attachment) for attachment in attachments]
    if files:
        body = _multipart("mixed", [body, *files])
    head = (
        "MIME-Version: 1.0" + _CRLF
        + _header("Subject", subject)
        + f"From: {_address_header(settings.DEFAULT_FROM_EMAIL)}{_CRLF}"
        + f"To: {_address_header(to_email)}{_CRLF}"
        + (f"Reply-To: {_address_header(reply_to)}{_CRLF}" if reply_to else "")
        + f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}{_CRLF}"
        + f"Message-ID: {message_id(idempotency_key)}{_CRLF}"
        + f"Auto-Submitted: auto-generated{_CRLF}"
    )  # fmt: skip
    return (head + body).encode()


class _StoredMime:
    """Stands in for ``email.message.Message`` where Django's backends serialise a message."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n", policy: Any = None) -> bytes:
        return self._data if linesep == "\r\n" else self._data.replace(b"\r\n", linesep.encode())

    def get_charset(self) -> None:
        return None


class StoredEmailMessage(EmailMessage):
    """An email whose MIME bytes were stored in the outbox; the backend sends them unchanged."""

    def __init__(self, *, mime: bytes, to_email: str, connection: Any = None) -> None:
        super().__init__(
            from_email=settings.DEFAULT_FROM_EMAIL, to=[to_email], connection=connection
        )
        self.stored_mime = bytes(mime)

    def message(self) -> Any:  # type: ignore[override]
        return _StoredMime(self.stored_mime)
