"""Waking the worker: a send task already on its way claims later commits too, so those
publish no task of their own; nothing is left behind (real Redis, worker and SMTP server)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.emails import _broker_redis, queue_email, wake_key
from dialogkonferanse.models import OutboundEmail

pytestmark = pytest.mark.django_db(transaction=True)


def _queue(n: int) -> OutboundEmail:
    with transaction.atomic():
        return queue_email(
            kind="test",
            to=f"leverandor{n}@example.no",
            language="nb",
            template="outbox_test",
            context={"headline": f"Velkommen {n}", "token": f"tok{n}"},
            idempotency_key=f"wake:{n}",
        )


def _tasks_waiting() -> int:
    """Send tasks waiting in this test process's queue (a Redis list; gone when empty)."""
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(celery_app.conf.task_default_queue)


def _all_sent() -> bool:
    return not OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists()


def test_commits_while_a_task_is_on_its_way_publish_nothing_and_are_sent(
    smtp_server: Any, celery_worker_factory: Any, wait_until: Any
) -> None:
    for n in range(5):
        _queue(n)  # five registrations, each committed on its own

    assert _tasks_waiting() == 1  # the first woke a worker, the rest rode along
    assert _broker_redis().exists(wake_key()) == 1

    with celery_worker_factory():
        smtp_server.wait_for(5)
        wait_until(_all_sent)

    assert smtp_server.connections == 1  # one task, one batch, one SMTP connection
    assert not _broker_redis().exists(wake_key())  # the task cleared the mark
    _queue(99)  # so the next commit wakes a worker again
    assert _tasks_waiting() == 1


def test_a_full_batch_hands_on_to_another_task(
    settings: Any, smtp_server: Any, celery_worker_factory: Any, wait_until: Any
) -> None:
    settings.OUTBOX_BATCH_SIZE = 2
    for n in range(5):
        _queue(n)  # one task on its way for all five, but a task sends at most two

    with celery_worker_factory():
        smtp_server.wait_for(5)
        wait_until(_all_sent)

    assert sorted(e[1][0] for e in smtp_server.envelopes) == [
        f"leverandor{n}@example.no" for n in range(5)
    ]


def test_a_mark_left_by_a_lost_task_expires(
    settings: Any, smtp_server: Any, celery_worker_factory: Any, wait_until: Any
) -> None:
    settings.OUTBOX_WAKE_TTL_MS = 300
    _queue(1)
    with celery_app.connection_for_write() as conn:  # the task is lost, its mark is not
        assert conn.default_channel.queue_purge(celery_app.conf.task_default_queue) == 1
    _queue(2)  # within the mark's lifetime: relies on the (lost) task
    assert _tasks_waiting() == 0

    time.sleep(0.4)
    _queue(3)  # the mark has expired: this commit wakes a worker, which takes all three
    assert _tasks_waiting() == 1
    with celery_worker_factory():
        smtp_server.wait_for(3)
        wait_until(_all_sent)


def test_a_row_queued_by_a_clock_running_ahead_is_still_claimed() -> None:
    import datetime as dt

    from django.utils import timezone

    from dialogkonferanse.delivery import claim_emails

    ahead = timezone.now() + dt.timedelta(seconds=30)
    fresh, deferred = _queue(1), _queue(2)
    # Queued by a web process whose clock is 30 s ahead of this worker's ...
    OutboundEmail.objects.filter(pk=fresh.pk).update(queued_at=ahead, next_attempt_at=ahead)
    # ... and one put back with a backoff that has not run out.
    OutboundEmail.objects.filter(pk=deferred.pk).update(next_attempt_at=ahead)

    claimed, _token = claim_emails(email_id=None, limit=10)

    assert [e.pk for e in claimed] == [fresh.pk]
