"""Delivery through a real Celery worker (Redis) to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from dialogkonferanse import delivery
from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.emails import Attachment, queue_email
from dialogkonferanse.mime import message_id
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.tasks import sweep_outbox
from tests.factories import make_buyer, make_conference

pytestmark = pytest.mark.django_db(transaction=True)


def _queue(n: int = 1, **overrides: Any) -> OutboundEmail:
    values: dict[str, Any] = {
        "kind": "test",
        "to": f"leverandor{n}@example.no",
        "language": "nb",
        "template": "outbox_test",
        "context": {"headline": f"Velkommen {n}", "token": f"tok{n}"},
        "idempotency_key": f"test:{n}",
    }
    values.update(overrides)
    with transaction.atomic():
        return queue_email(**values)


def _status(email: OutboundEmail) -> str:
    email.refresh_from_db()
    return email.status


def test_tasks_go_through_redis_not_eagerly() -> None:
    assert celery_app.conf.task_always_eager is False
    assert str(celery_app.conf.broker_url).startswith("redis://")


def test_deliver_email_happy_path_reaches_smtp(smtp_server, celery_worker, wait_until) -> None:
    conference = make_conference(
        buyer=make_buyer(email_signature="Hilsen Kystverket"), title="Fyrdialog"
    )
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"

    email = _queue(
        conference=conference,
        reply_to="innkjop@kystverket.example",
        attachments=[Attachment("invite.ics", ics, "text/calendar; method=REQUEST")],
    )
    queued_mime = bytes(email.mime)

    [message] = smtp_server.wait_for(1)
    wait_until(lambda: _status(email) == EmailStatus.SENT)
    assert smtp_server.envelopes[0][1] == ["leverandor1@example.no"]
    assert message["To"] == "leverandor1@example.no"
    assert message["Subject"] == "Fyrdialog: Velkommen 1"
    assert message["Reply-To"] == "innkjop@kystverket.example"
    assert message["Message-ID"] == message_id(email.idempotency_key)
    # What the server received is exactly the MIME built when the email was queued; the copy
    # is dropped once sent.
    assert smtp_server.raw[0].replace(b"\r\n", b"\n") == queued_mime.replace(b"\r\n", b"\n")
    email.refresh_from_db()
    assert bytes(email.mime) == b""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hilsen Kystverket" in text
    assert "<h1>Velkommen 1</h1>" in html
    [invite] = list(message.iter_attachments())
    assert invite.get_filename() == "invite.ics"
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_content().replace("\r\n", "\n") == ics.decode().replace("\r\n", "\n")
    email.refresh_from_db()
    assert (email.attempts, email.last_error) == (1, "")
    assert email.sent_at is not None


def _queue_then_fail() -> None:
    with transaction.atomic():
        queue_email(
            kind="test",
            to="rolledback@example.no",
            language="nb",
            template="outbox_test",
            context={"headline": "Skal ikke sendes", "token": "x"},
            idempotency_key="rolled-back",
        )
        raise RuntimeError("the cause failed")


def test_queue_email_rolled_back_delivers_nothing(smtp_server, celery_worker) -> None:
    with pytest.raises(RuntimeError, match="the cause failed"):
        _queue_then_fail()
    # A later email proves the worker is running; the rolled-back one must not come before it.
    _queue(99)

    smtp_server.wait_for(1)

    assert [env[1] for env in smtp_server.envelopes] == [["leverandor99@example.no"]]
    assert OutboundEmail.objects.filter(idempotency_key="rolled-back").count() == 0


def test_deliver_email_smtp_down_then_up_delivers_once(
    settings, smtp_server, celery_worker, wait_until
) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    smtp_server.stop()

    email = _queue()
    wait_until(lambda: OutboundEmail.objects.filter(pk=email.pk, attempts=1).exists())
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert "Connection refused" in email.last_error or "ConnectionRefused" in email.last_error
    smtp_server.start()

    smtp_server.wait_for(1)
    wait_until(lambda: _status(email) == EmailStatus.SENT)
    sweep_outbox()  # nothing is left for the sweep to send again
    email.refresh_from_db()
    assert len(smtp_server.messages) == 1
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 2, "")


def test_sweep_outbox_delivers_email_whose_task_was_lost_once(
    settings, smtp_server, celery_worker_factory, purge_celery_queue, wait_until
) -> None:
    email = _queue()  # committed; its task now waits in Redis with no worker running
    assert purge_celery_queue() == 1  # Redis lost the task
    # A minute passes: the row is overdue for the sweep.
    OutboundEmail.objects.filter(pk=email.pk).update(
        queued_at=timezone.now() - dt.timedelta(minutes=2),
        next_attempt_at=timezone.now() - dt.timedelta(minutes=2),
    )

    with celery_worker_factory():
        assert _status(email) == EmailStatus.QUEUED
        result = sweep_outbox.delay().id
        smtp_server.wait_for(1)
        wait_until(lambda: _status(email) == EmailStatus.SENT)
        sweep_outbox()  # a second sweep finds nothing to send

    assert result is not None
    assert len(smtp_server.messages) == 1
    assert smtp_server.envelopes[0][1] == ["leverandor1@example.no"]


def test_sweep_outbox_requeues_row_stuck_in_sending(
    settings, smtp_server, celery_worker, wait_until
) -> None:
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 300
    stuck = _queue(1)
    recent = _queue(2)
    smtp_server.wait_for(2)
    smtp_server.messages.clear()
    smtp_server.envelopes.clear()
    # Simulate workers killed mid-send: one long ago, one a moment ago (still within timeout).
    OutboundEmail.objects.filter(pk=stuck.pk).update(
        status=EmailStatus.SENDING,
        sent_at=None,
        sending_started_at=timezone.now() - dt.timedelta(minutes=10),
    )
    OutboundEmail.objects.filter(pk=recent.pk).update(
        status=EmailStatus.SENDING, sent_at=None, sending_started_at=timezone.now()
    )

    counts = sweep_outbox()

    assert counts == {"stuck": 1, "overdue": 0}
    smtp_server.wait_for(1)
    wait_until(lambda: _status(stuck) == EmailStatus.SENT)
    assert [env[1] for env in smtp_server.envelopes] == [["leverandor1@example.no"]]
    assert _status(recent) == EmailStatus.SENDING


def test_deliver_email_permanent_rejection_marks_failed(
    smtp_server, celery_worker, wait_until
) -> None:
    smtp_server.reject["nobody@example.no"] = "550 5.1.1 <nobody@example.no>: no such user"

    email = _queue(to="nobody@example.no")

    wait_until(lambda: _status(email) == EmailStatus.FAILED)
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.last_error == (
        "Recipient refused: nobody@example.no: 550 5.1.1 <nobody@example.no>: no such user"
    )
    assert smtp_server.messages == []


def test_deliver_email_transient_rejection_fails_after_max_attempts(
    settings, smtp_server, celery_worker, wait_until
) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    settings.OUTBOX_MAX_ATTEMPTS = 2
    smtp_server.reject["busy@example.no"] = "451 4.3.0 try again later"

    email = _queue(to="busy@example.no")

    wait_until(lambda: _status(email) == EmailStatus.FAILED)
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.last_error == "Recipient refused: busy@example.no: 451 4.3.0 try again later"


def test_deliver_email_subject_header_injection_is_impossible(
    smtp_server, celery_worker, wait_until
) -> None:
    email = _queue(context={"headline": "Hei\r\nBcc: evil@example.com\r\n\r\nbody", "token": "t"})

    [message] = smtp_server.wait_for(1)

    assert message["Subject"] == ": Hei Bcc: evil@example.com body"
    assert message["Bcc"] is None
    assert smtp_server.envelopes[0][1] == ["leverandor1@example.no"]
    wait_until(lambda: _status(email) == EmailStatus.SENT)


def test_deliver_email_sixty_emails_use_two_connections(
    smtp_server, celery_worker_factory, wait_until
) -> None:
    with transaction.atomic():
        emails = [
            queue_email(
                kind="test",
                to=f"mottaker{i}@example.no",
                language="en",
                template="outbox_test",
                context={"headline": f"Hello {i}", "token": str(i)},
                idempotency_key=f"bulk:{i}",
            )
            for i in range(60)
        ]

    with celery_worker_factory():
        smtp_server.wait_for(60)
        wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 60)

    assert smtp_server.connections == 2
    assert sorted(env[1][0] for env in smtp_server.envelopes) == sorted(e.to_email for e in emails)


def test_deliver_queued_emails_skips_rows_not_queued(smtp_server) -> None:
    email = _queue()  # the task waits in Redis; no worker runs in this test
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now()
    )

    result = delivery.deliver_queued_emails(email_id=email.pk)

    assert (result.sent, result.connections) == ([], 0)
    assert smtp_server.connections == 0


def test_international_domain_is_delivered_in_punycode(smtp_server, celery_worker, wait_until):
    email = _queue(to="kari@leverandør.example")

    smtp_server.wait_for(1)
    wait_until(lambda: _status(email) == EmailStatus.SENT)

    assert smtp_server.envelopes[0][1] == ["kari@xn--leverandr-s8a.example"]
