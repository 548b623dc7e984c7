"""queue_email: rendering in the recipient's language and Oslo time, idempotency, rollback."""

from __future__ import annotations

import datetime as dt
import threading
import time
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.db import connections, transaction
from django.utils import timezone, translation

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.outbox.queue import (
    Attachment,
    emails_for_registration,
    queue_email,
)
from registrations.models import Registration
from tests.factories import make_buyer, make_conference

pytestmark = pytest.mark.django_db

# Monday 30 March 2026, the day after the switch to summer time: 08:00 UTC is 10:00 in Oslo.
STARTS = dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)


def _conference(**overrides: Any):
    buyer = make_buyer(name="Kystverket", email_signature="Hilsen\nKystverket innkjøp")
    values = {
        "title": "Dialog om fyr",
        "starts_at": STARTS,
        "registration_opens_at": STARTS - dt.timedelta(days=30),
        "registration_closes_at": STARTS - dt.timedelta(hours=1),
        "buyer": buyer,
    }
    values.update(overrides)
    return make_conference(**values)


def _queue(conference=None, **overrides: Any) -> OutboundEmail:
    values: dict[str, Any] = {
        "kind": "test",
        "to": "leverandor@example.no",
        "language": "nb",
        "template": "outbox_test",
        "context": {"headline": "Velkommen", "token": "abc123"},
        "idempotency_key": "test:1",
        "conference": conference,
    }
    values.update(overrides)
    return queue_email(**values)


@pytest.mark.parametrize(
    ("language", "weekday", "month"),
    [("nb", "mandag", "mars"), ("nn", "måndag", "mars"), ("en", "Monday", "March")],
)
def test_queue_email_renders_in_language_and_oslo_time(
    settings, language: str, weekday: str, month: str
) -> None:
    settings.SITE_URL = "https://dialog.example.no"
    conference = _conference()

    email = _queue(conference, language=language, idempotency_key=f"render:{language}")

    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.language == language
    assert email.subject == "Dialog om fyr: Velkommen"
    assert f"Starts: {weekday} 30. {month} 2026 10:00 (+0200)\n" in email.body_text
    assert "Link: https://dialog.example.no/p/abc123" in email.body_text
    assert "abc123\n\nHilsen\nKystverket innkjøp\n\n-- \n" in email.body_text
    assert f'<html lang="{language}">' in email.body_html
    assert 'datetime="2026-03-30T10:00:00+02:00"' in email.body_html
    assert "UTC+02:00" not in email.body_html
    assert "(UTC+2)." in email.body_html  # the offset once, in the email's note
    assert "Hilsen<br>Kystverket innkjøp" in email.body_html
    assert 'href="https://dialog.example.no/p/abc123"' in email.body_html


def test_queue_email_text_body_is_not_html_escaped() -> None:
    email = _queue(_conference(), context={"headline": "Fisk & <vilt>", "token": "t"})

    assert "Fisk & <vilt> & more" in email.body_text
    assert "<h1>Fisk &amp; &lt;vilt&gt;</h1>" in email.body_html


def test_queue_email_without_conference_is_signed_by_nobody() -> None:
    email = _queue(None, context={"headline": "Hei", "token": "t"})

    assert email.conference_id is None
    assert "Kystverket" not in email.body_text
    assert email.body_text.startswith("Hei & more")


def test_queue_email_same_idempotency_key_gives_one_row(django_capture_on_commit_callbacks):
    conference = _conference()

    with django_capture_on_commit_callbacks() as callbacks:
        first = _queue(conference, idempotency_key="confirm:42")
        second = _queue(conference, idempotency_key="confirm:42", to="annen@example.no")

    assert second.pk == first.pk
    assert OutboundEmail.objects.filter(idempotency_key="confirm:42").count() == 1
    assert OutboundEmail.objects.get(idempotency_key="confirm:42").to_email == (
        "leverandor@example.no"
    )
    assert len(callbacks) == 1


def test_queue_email_rolled_back_leaves_no_row_and_no_task(django_capture_on_commit_callbacks):
    conference = _conference()

    def register_then_fail() -> None:
        with transaction.atomic():
            _queue(conference, idempotency_key="rolled-back")
            raise RuntimeError("the registration failed")

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError, match="registration failed"),
    ):
        register_then_fail()

    assert OutboundEmail.objects.filter(idempotency_key="rolled-back").count() == 0
    assert callbacks == []


@pytest.mark.parametrize(
    "to",
    [
        "a@example.no\r\nBcc: evil@example.com",
        "a@example.no\nBcc: evil@example.com",
        "a@example.no, evil@example.com",
        "not an address",
    ],
)
def test_queue_email_bad_recipient_is_recorded_failed(to: str) -> None:
    email = _queue(None, to=to, idempotency_key=f"bad:{to}")

    email.refresh_from_db()
    assert (email.status, bytes(email.mime)) == (EmailStatus.FAILED, b"")
    assert "address" in email.last_error


HOSTILE_ADDRESSES = [
    '"a\x0bBcc:x@evil.example"@probe.example',
    '"a\x0cBcc:x@evil.example"@probe.example',
    '"a\x1eBcc:x@evil.example"@probe.example',
    '"a\x01b"@probe.example',
    "kari@probe\u2028bcc.example",
    "kari@lever\u200bandor.example",
    "kari@example.no\x00",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES, ids=repr)
@pytest.mark.parametrize("field", ["to", "reply_to"])
def test_queue_email_control_character_in_address_is_recorded_failed_unsent(
    field: str, address: str, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        email = _queue(None, **{field: address})

    email.refresh_from_db()
    assert (email.status, email.last_error, bytes(email.mime)) == (
        EmailStatus.FAILED,
        "Not a valid email address to send to: it must be a single address without line "
        "breaks or control characters.",
        b"",
    )
    assert email.subject == ": Velkommen"  # the record of what would have been sent stays
    assert callbacks == []  # no send task


def test_queue_email_refusal_is_translated() -> None:
    with translation.override("nn"):
        email = _queue(None, to=HOSTILE_ADDRESSES[0])

    assert email.last_error == (
        "Ikkje ei gyldig e-postadresse å sende til: det må vere éi einskild adresse utan "
        "linjeskift eller kontrollteikn."
    )


def test_queue_email_refused_address_does_not_stop_the_next_email() -> None:
    refused = _queue(None, to=HOSTILE_ADDRESSES[0], idempotency_key="bulk:1")
    accepted = _queue(None, to="kari@example.no", idempotency_key="bulk:2")

    statuses = dict(OutboundEmail.objects.values_list("pk", "status"))
    assert statuses == {refused.pk: EmailStatus.FAILED, accepted.pk: EmailStatus.QUEUED}


@pytest.mark.parametrize(
    ("char", "subject"),
    [
        ("\x0b", ": Hei Bcc: evil@example.com"),
        ("\x0c", ": Hei Bcc: evil@example.com"),
        ("\x1e", ": Hei Bcc: evil@example.com"),
        ("\x85", ": Hei Bcc: evil@example.com"),
        ("\u2028", ": Hei Bcc: evil@example.com"),
        ("\x01", ": HeiBcc: evil@example.com"),
        ("\x7f", ": HeiBcc: evil@example.com"),
    ],
    ids=repr,
)
def test_queue_email_subject_control_characters_are_removed(char: str, subject: str) -> None:
    email = _queue(None, context={"headline": f"Hei{char}Bcc: evil@example.com", "token": "t"})

    assert email.subject == subject
    parsed = message_from_bytes(bytes(email.mime), policy=policy.default)
    assert parsed["Subject"] == email.subject
    assert parsed["Bcc"] is None


def test_queue_email_subject_with_newlines_becomes_one_line() -> None:
    email = _queue(None, context={"headline": "Hei\r\nBcc: evil@example.com\n\tX: y", "token": "t"})

    assert email.subject == ": Hei Bcc: evil@example.com X: y"
    assert "\n" not in email.subject
    assert "\r" not in email.subject


def test_queue_email_unknown_language_raises() -> None:
    with pytest.raises(ValueError, match="language"):
        _queue(None, language="de")


def test_queue_email_stores_attachment_bytes() -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    blob = bytes(range(256))

    email = _queue(
        None,
        attachments=[
            Attachment("invite.ics", ics, "text/calendar; method=REQUEST"),
            Attachment("raw.bin", blob, "application/octet-stream"),
        ],
    )

    stored = [(a.filename, bytes(a.content), a.mimetype) for a in email.attachments.all()]
    assert stored == [
        ("invite.ics", ics, "text/calendar; method=REQUEST"),
        ("raw.bin", blob, "application/octet-stream"),
    ]


def test_emails_for_registration_returns_only_its_emails() -> None:
    conference = _conference()
    registrations = [
        Registration.objects.create(
            conference=conference,
            organisation_name=f"Firma {i}",
            contact_name="Kari",
            email=f"kari{i}@firma.no",
            privacy_acknowledged_at=timezone.now(),
        )
        for i in range(2)
    ]
    mine = [
        _queue(conference, registration=registrations[0], idempotency_key=f"r0:{i}")
        for i in range(2)
    ]
    _queue(conference, registration=registrations[1], idempotency_key="r1:0")

    result = list(emails_for_registration(registrations[0].pk))

    assert result == list(reversed(mine))


@pytest.mark.django_db(transaction=True)
def test_queue_email_secret_is_only_in_the_mime_and_gone_after_sending(smtp_server, celery_worker):
    secret = "tok_9f8e7d6c5b4a3928171605f4e3d2c1b0"
    email = queue_email(
        kind="test",
        to="leverandor@example.no",
        language="en",
        template="outbox_test",
        context={"headline": "Your link", "token": secret},
        idempotency_key="secret-test",
        secrets=[secret],
    )

    [message] = smtp_server.wait_for(1)
    row = OutboundEmail.objects.get(pk=email.pk)
    deadline = time.monotonic() + 10
    while row.status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)
        row.refresh_from_db()
    assert secret in message.get_body(("plain",)).get_content()
    assert row.status == "sent"
    assert secret not in row.body_text + row.body_html + row.subject
    assert "[…]" in row.body_text
    assert bytes(row.mime) == b""


@pytest.mark.parametrize(
    "subject",
    [
        "Dette gjekk du glipp av: Kystverket \N{EN DASH} marknadsdialog om sensorar på bøyer",
        "Kort emne med æøå",
        "A plain ASCII subject that is long enough to need folding across two header lines",
    ],
)
def test_mime_subject_reads_back_exactly(subject):
    import email
    import email.policy

    from dialogkonferanse.outbox.message import message_bytes

    data = message_bytes(
        subject=subject,
        body_text="Tekst",
        body_html="<p>Tekst</p>",
        to_email="kari@leverandor.example",
        reply_to="",
        idempotency_key="subject-test",
    )

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert all(len(line) <= 78 for line in data.split(b"\r\n\r\n")[0].split(b"\r\n"))


@pytest.mark.django_db(transaction=True)
def test_queue_email_same_key_in_concurrent_transactions_writes_one_row_with_attachments() -> None:
    threads_count = 4
    barrier = threading.Barrier(threads_count)
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    results: list[int] = []
    errors: list[BaseException] = []

    def queue(n: int) -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                email = _queue(
                    to=f"leverandor{n}@example.no",
                    idempotency_key="confirm:concurrent",
                    attachments=[Attachment("invite.ics", ics, "text/calendar; method=REQUEST")],
                )
                time.sleep(0.05)  # hold the transaction open while the others insert
            results.append(email.pk)
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=queue, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    [email] = OutboundEmail.objects.filter(idempotency_key="confirm:concurrent")
    assert results == [email.pk] * threads_count
    assert list(email.attachments.values_list("position", "filename")) == [(0, "invite.ics")]
