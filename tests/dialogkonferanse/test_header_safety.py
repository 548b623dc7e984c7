"""Outbox rows whose address got past the rule (queued before it, or edited in the database)
are failed unsent; a real SMTP server (aiosmtpd) receives no message with a forged header."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from django.db import transaction

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.outbox.delivery import deliver_queued_emails
from dialogkonferanse.outbox.queue import queue_email

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = {
    "vertical tab": '"a\x0bBcc:x@evil.example"@probe.example',
    "form feed": '"a\x0cBcc:x@evil.example"@probe.example',
    "record separator": '"a\x1eBcc:x@evil.example"@probe.example',
    "line separator": "kari@probe\u2028bcc.example",
}


def _queue(n: int, **overrides: Any) -> OutboundEmail:
    values: dict[str, Any] = {
        "kind": "test",
        "to": f"leverandor{n}@example.no",
        "language": "en",
        "template": "outbox_test",
        "context": {"headline": f"Hello {n}", "token": f"tok{n}"},
        "idempotency_key": f"hostile:{n}",
    }
    values.update(overrides)
    with transaction.atomic():
        return queue_email(**values)


def _unchecked_mime(to: str) -> bytes:
    """What the outbox stored for ``to`` before addresses were checked: the address written
    into ``To:`` as it was, control characters and all."""
    return (
        "MIME-Version: 1.0\r\nSubject: Hello\r\nFrom: noreply@dialog.example\r\n"
        f"To: {to}\r\nMessage-ID: <unchecked@dialog.example>\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n\r\nText\r\n'
    ).encode()


def _header_lines(raw: bytes) -> list[str]:
    """The header block split into lines as mail software that breaks lines where Python's
    ``str.splitlines`` does (at VT, FF, the separators, U+2028 …) reads it."""
    return raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape").splitlines()


def _has_bcc(raw: bytes) -> bool:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    forged = any(line.lower().startswith("bcc") for line in _header_lines(raw))
    return forged or parsed["Bcc"] is not None


def test_unchecked_mime_would_grow_a_bcc_header():
    """The defect the checks guard against: a vertical tab in the address is a line break
    that starts a Bcc header once the message is read line by line."""
    lines = _header_lines(_unchecked_mime(HOSTILE["vertical tab"]))

    assert 'Bcc:x@evil.example"@probe.example' in lines


@pytest.mark.parametrize("stored_mime", [True, False], ids=["stored-mime", "rebuilt"])
@pytest.mark.parametrize("address", HOSTILE.values(), ids=HOSTILE.keys())
def test_deliver_hostile_stored_recipient_fails_unsent(smtp_server, address, stored_mime):
    good = _queue(1)
    bad = _queue(2)
    OutboundEmail.objects.filter(pk=bad.pk).update(
        to_email=address, mime=_unchecked_mime(address) if stored_mime else b""
    )

    result = deliver_queued_emails()

    assert (sorted(result.sent), result.failed) == ([good.pk], [bad.pk])
    assert [rcpt for _from, rcpt in smtp_server.envelopes] == [[good.to_email]]
    assert len(smtp_server.raw) == 1
    assert not _has_bcc(smtp_server.raw[0])
    bad.refresh_from_db()
    assert bad.status == EmailStatus.FAILED
    assert bad.last_error == (
        "EmailAddressError: Not a valid email address to send to: it must be a single address "
        "without line breaks or control characters."
    )


def test_deliver_stored_mime_with_control_character_in_a_header_fails_unsent(smtp_server):
    row = _queue(1)
    tampered = bytes(row.mime).replace(b"Subject: ", b"Subject: \x0bBcc: x@evil.example ", 1)
    OutboundEmail.objects.filter(pk=row.pk).update(mime=tampered)

    result = deliver_queued_emails()

    assert result.failed == [row.pk]
    assert smtp_server.raw == []
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED
    assert row.last_error == (
        "BadHeaderError: The stored message has a control character in a header."
    )


def test_deliver_hostile_reply_to_fails_unsent(smtp_server):
    row = _queue(1, reply_to="innkjop@etat.example")
    OutboundEmail.objects.filter(pk=row.pk).update(reply_to=HOSTILE["form feed"], mime=b"")

    result = deliver_queued_emails()

    assert result.failed == [row.pk]
    assert smtp_server.raw == []


def test_deliver_through_worker_sends_no_bcc(smtp_server, celery_worker, wait_until):
    """End to end: the good email of a batch arrives without a forged header, the hostile row
    is failed, and nothing raises in the worker."""
    bad_address = HOSTILE["vertical tab"]
    with transaction.atomic():
        bad = queue_email(
            kind="test",
            to="placeholder@example.no",
            language="en",
            template="outbox_test",
            context={"headline": "Hello", "token": "t"},
            idempotency_key="hostile:worker:bad",
        )
        OutboundEmail.objects.filter(pk=bad.pk).update(
            to_email=bad_address, mime=_unchecked_mime(bad_address)
        )
        good = queue_email(
            kind="test",
            to="kari@example.no",
            language="en",
            template="outbox_test",
            context={"headline": "Hello", "token": "t"},
            idempotency_key="hostile:worker:good",
        )

    [message] = smtp_server.wait_for(1)
    wait_until(
        lambda: (
            set(OutboundEmail.objects.values_list("pk", "status"))
            == {(good.pk, EmailStatus.SENT), (bad.pk, EmailStatus.FAILED)}
        )
    )
    assert message["To"] == "kari@example.no"
    assert message["Bcc"] is None
    assert not _has_bcc(smtp_server.raw[0])
    assert [rcpt for _from, rcpt in smtp_server.envelopes] == [["kari@example.no"]]


def test_an_email_refused_when_queued_that_held_a_link_is_never_requeued():
    """Refused for its address, it has no message, only the redacted record: were it re-queued
    it would be built from that record and give its recipient a dead link."""
    from dialogkonferanse.outbox.queue import failed_with_secret, requeue_failed_emails

    with transaction.atomic():
        refused = queue_email(
            kind="test",
            to="kari@example.no\r\nBcc: x@example.com",
            language="nb",
            template="outbox_test",
            context={"headline": "Hei", "token": "hemmelig-lenke-456"},
            idempotency_key="refused-with-link",
            secrets=["hemmelig-lenke-456"],
        )

    assert (refused.status, refused.holds_secret, bytes(refused.mime)) == (
        EmailStatus.FAILED,
        True,
        b"",
    )
    assert (requeue_failed_emails(email_ids=[refused.pk]), failed_with_secret([refused.pk])) == (
        0,
        1,
    )
