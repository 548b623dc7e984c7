"""Delivery through a real Celery worker (Redis) to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.outbox import delivery
from dialogkonferanse.outbox.message import message_id
from dialogkonferanse.outbox.queue import DELIVER_EMAIL_TASK, Attachment, queue_email
from dialogkonferanse.outbox.tasks import deliver_email, sweep_outbox
from tests.conftest import SmtpTestServer
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
    wait_until(lambda: OutboundEmail.objects.filter(pk=email.pk).exclude(last_error="").exists())
    email.refresh_from_db()
    # Waiting for the mail server is not an attempt at sending the email.
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 0)
    assert "Connection refused" in email.last_error or "ConnectionRefused" in email.last_error
    smtp_server.start()

    smtp_server.wait_for(1)
    wait_until(lambda: _status(email) == EmailStatus.SENT)
    sweep_outbox()  # nothing is left for the sweep to send again
    email.refresh_from_db()
    assert len(smtp_server.messages) == 1
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 1, "")


def test_a_mail_server_outage_longer_than_the_backoff_fails_no_email(
    settings, smtp_server, purge_celery_queue
) -> None:
    """Emails on their last attempt stay queued while the server cannot be reached. The batch
    waits half as long again as its longest waiting email has waited (up to the longest delay),
    as one: one task tries them again; and they go once the server is back."""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.EMAIL_KEEP_CONNECTION_SECONDS = 0
    now = timezone.now()
    emails = [_queue(n) for n in (1, 2)]
    for email, minutes in zip(emails, (40, 80), strict=True):
        queued = now - dt.timedelta(minutes=minutes)
        OutboundEmail.objects.filter(pk=email.pk).update(
            attempts=2, queued_at=queued, next_attempt_at=queued
        )
    smtp_server.stop()
    purge_celery_queue()  # the emails' own send tasks

    before = timezone.now()
    result = delivery.deliver_queued_emails()

    assert (sorted(result.retry), result.failed, result.sent) == (
        sorted(e.pk for e in emails),
        [],
        [],
    )
    rows = list(OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]))
    assert {(e.status, e.attempts) for e in rows} == {(EmailStatus.QUEUED, 2)}
    assert len({e.next_attempt_at for e in rows}) == 1
    wait = (rows[0].next_attempt_at - before).total_seconds()
    assert 40 * 60 - 1 <= wait <= 40 * 60 + 1 + (timezone.now() - before).total_seconds()
    assert _tasks_waiting() == 1

    smtp_server.start()
    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    result = delivery.deliver_queued_emails()

    assert sorted(result.sent) == sorted(e.pk for e in emails)
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {(EmailStatus.SENT, 3)}


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


@pytest.mark.parametrize(("keep_seconds", "connections"), [(0, 2), (30, 1)])
def test_deliver_email_sixty_emails_use_a_connection_per_batch_or_one_kept(
    keep_seconds, connections, settings, smtp_server, celery_worker_factory, wait_until
) -> None:
    settings.EMAIL_KEEP_CONNECTION_SECONDS = keep_seconds
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

    assert smtp_server.connections == connections
    assert sorted(env[1][0] for env in smtp_server.envelopes) == sorted(e.to_email for e in emails)


def test_kept_connection_serves_the_next_runs_of_the_thread(smtp_server) -> None:
    first = _queue(1)
    second = _queue(2)

    runs = [delivery.deliver_queued_emails(email_id=e.pk, limit=1) for e in (first, second)]

    assert [(r.sent, r.connections) for r in runs] == [([first.pk], 1), ([second.pk], 0)]
    assert smtp_server.connections == 1
    assert delivery.close_kept_connections() == 1  # what a stopping worker does
    assert delivery.close_kept_connections() == 0


def test_kept_connection_the_server_dropped_is_replaced_and_nothing_is_lost(smtp_server):
    first = _queue(1)
    delivery.deliver_queued_emails(email_id=first.pk)
    smtp_server.stop()  # drops the connection the thread kept
    smtp_server.start()
    second = _queue(2)

    result = delivery.deliver_queued_emails(email_id=second.pk)

    assert (result.sent, result.retry, result.connections) == ([second.pk], [], 1)
    assert _status(second) == EmailStatus.SENT
    assert [to for _from, [to] in smtp_server.envelopes] == [first.to_email, second.to_email]
    assert smtp_server.connections == 2


def test_kept_connection_is_not_used_for_another_mail_server(settings, smtp_server) -> None:
    first = _queue(1)
    delivery.deliver_queued_emails(email_id=first.pk)
    other = SmtpTestServer()
    other.start()
    try:
        settings.EMAIL_PORT = other.port
        second = _queue(2)
        result = delivery.deliver_queued_emails(email_id=second.pk)
    finally:
        other.stop()

    assert (result.sent, result.connections) == ([second.pk], 1)
    assert [to for _from, [to] in other.envelopes] == [second.to_email]


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


def _all_sent() -> bool:
    return not OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists()


def _tasks_waiting() -> int:
    """Send tasks waiting in this test process's queue (a Redis list; gone when empty)."""
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(celery_app.conf.task_default_queue)


@pytest.mark.parametrize(("count", "batch_size"), [(1, 50), (5, 2), (12, 5), (10, 10)])
def test_deliver_email_one_transaction_sends_each_once_over_a_connection_per_batch(
    count, batch_size, settings, smtp_server, celery_worker_factory, wait_until
) -> None:
    settings.OUTBOX_BATCH_SIZE = batch_size
    settings.EMAIL_KEEP_CONNECTION_SECONDS = 0  # one connection per run, to count the runs
    with transaction.atomic():
        for n in range(count):
            queue_email(
                kind="test",
                to=f"mottaker{n}@example.no",
                language="nb",
                template="outbox_test",
                context={"headline": f"Hei {n}", "token": str(n)},
                idempotency_key=f"one-transaction:{n}",
            )
    assert _tasks_waiting() == count  # every committed email queued its own task

    with celery_worker_factory():
        smtp_server.wait_for(count)
        wait_until(_all_sent)
        # A later email's task runs after all of theirs (one worker, first in first out), so
        # once it has arrived the tasks whose rows an earlier batch took have all ended.
        _queue(999)
        smtp_server.wait_for(count + 1)
        wait_until(_all_sent)

    assert sorted(to for _from, [to] in smtp_server.envelopes) == sorted(
        [*(f"mottaker{n}@example.no" for n in range(count)), "leverandor999@example.no"]
    )
    assert smtp_server.connections == -(-count // batch_size) + 1
    assert list(OutboundEmail.objects.values_list("attempts", flat=True)) == [1] * (count + 1)


def test_deliver_email_committed_while_a_batch_is_sent_is_delivered(
    smtp_server, celery_worker_factory, wait_until
) -> None:
    with transaction.atomic():
        for n in range(3):
            _queue_in_transaction(n)
    mid_batch, resume = threading.Event(), threading.Event()
    accept = smtp_server.handler.handle_DATA

    async def hold_first_message(server: Any, session: Any, envelope: Any) -> str:
        if not mid_batch.is_set():
            mid_batch.set()
            resume.wait(15)  # the worker waits for its "250" while the test commits
        return await accept(server, session, envelope)

    smtp_server.handler.handle_DATA = hold_first_message

    with celery_worker_factory():
        assert mid_batch.wait(15)
        late = _queue(99)  # committed while the batch of three is being sent
        resume.set()
        smtp_server.wait_for(4)
        wait_until(_all_sent)

    assert sorted(to for _from, [to] in smtp_server.envelopes) == [
        "leverandor0@example.no",
        "leverandor1@example.no",
        "leverandor2@example.no",
        "leverandor99@example.no",
    ]
    assert _status(late) == EmailStatus.SENT


def _queue_in_transaction(n: int) -> OutboundEmail:
    return queue_email(
        kind="test",
        to=f"leverandor{n}@example.no",
        language="nb",
        template="outbox_test",
        context={"headline": f"Velkommen {n}", "token": f"tok{n}"},
        idempotency_key=f"test:{n}",
    )


def test_claim_emails_takes_a_row_queued_by_a_clock_running_ahead() -> None:
    ahead = timezone.now() + dt.timedelta(seconds=30)
    fresh, deferred = _queue(1), _queue(2)
    # Queued by a web process whose clock is 30 s ahead of this worker's ...
    OutboundEmail.objects.filter(pk=fresh.pk).update(queued_at=ahead, next_attempt_at=ahead)
    # ... and one put back with a backoff that has not run out.
    OutboundEmail.objects.filter(pk=deferred.pk).update(next_attempt_at=ahead)

    claimed, _token = delivery.claim_emails(email_id=None, limit=10)

    assert [e.pk for e in claimed] == [fresh.pk]


def test_deliver_email_task_is_registered_under_the_name_the_outbox_queues() -> None:
    assert (
        celery_app.tasks[DELIVER_EMAIL_TASK].name
        == DELIVER_EMAIL_TASK
        == "dialogkonferanse.deliver_email"
    )


def test_deliver_email_accepts_the_wake_argument_of_tasks_queued_before_an_upgrade(
    smtp_server,
) -> None:
    email = _queue()

    result = deliver_email.apply(args=(email.pk,), kwargs={"wake": True}).get()

    assert result == {"sent": 1, "failed": 0, "retry": 0, "connections": 1}
    assert _status(email) == EmailStatus.SENT
    assert [to for _from, [to] in smtp_server.envelopes] == ["leverandor1@example.no"]


def test_a_failed_email_holding_a_personal_link_keeps_no_copy_of_it(smtp_server) -> None:
    """No credential outlives its delivery, failed or not: the message (the only copy of the
    link) is dropped; an email without a secret keeps its message for a retry."""
    smtp_server.reject["nobody@example.no"] = "550 5.1.1 <nobody@example.no>: no such user"
    with transaction.atomic():
        held = queue_email(
            kind="test",
            to="nobody@example.no",
            language="nb",
            template="outbox_test",
            context={"headline": "Hei", "token": "hemmelig-lenke-123"},
            idempotency_key="held",
            secrets=["hemmelig-lenke-123"],
        )
    plain = _queue(to="nobody@example.no", idempotency_key="plain")
    assert b"hemmelig-lenke-123" in bytes(OutboundEmail.objects.get(pk=held.pk).mime)

    result = delivery.deliver_queued_emails()

    assert sorted(result.failed) == sorted([held.pk, plain.pk])
    rows = {e.pk: (e.status, e.holds_secret, bool(e.mime)) for e in OutboundEmail.objects.all()}
    assert rows == {
        held.pk: (EmailStatus.FAILED, True, False),
        plain.pk: (EmailStatus.FAILED, False, True),
    }
    # Were it put back by hand, it would fail again rather than send a dead (redacted) link.
    OutboundEmail.objects.filter(pk=held.pk).update(status=EmailStatus.QUEUED)
    smtp_server.reject.clear()
    assert delivery.deliver_queued_emails().failed == [held.pk]
    assert smtp_server.messages == []
