"""Delivery of the email outbox: claim queued rows, send them over one SMTP connection, sweep.

The connection stays open between runs of the same worker thread for a short idle time
(``EMAIL_KEEP_CONNECTION_SECONDS``), so a burst of one-email tasks does not open one each.

``deliver_queued_emails`` claims a batch of queued rows (``SELECT … FOR UPDATE SKIP LOCKED``),
marks them ``sending`` and commits, sends them over one SMTP connection, then marks each
``sent``, ``failed`` (permanent SMTP error) or back to ``queued`` with backoff (transient error).
``sweep_outbox`` re-dispatches rows whose task was lost and re-queues rows stuck in ``sending``
after a worker died.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundAttachment, OutboundEmail
from dialogkonferanse.outbox import message as mime
from dialogkonferanse.outbox.message import StoredEmailMessage
from dialogkonferanse.outbox.queue import check_header_safe, dispatch_email_tasks, single_line

logger = logging.getLogger(__name__)

_ERROR_LIMIT = 2000
# Django writes headers in printable ASCII with CRLF line ends (and tabs or spaces to fold).
_UNSAFE_HEADER_BYTE = re.compile(rb"[^\t\r\n\x20-\x7e]|\r(?!\n)|(?<!\r)\n")


@dataclass
class DeliveryResult:
    """What one delivery run did, by outbox id."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    connections: int = 0  # opened by this run (0 when it used the thread's kept connection)
    claimed: int = 0


def build_message(
    email: OutboundEmail,
    *,
    attachments: Iterable[OutboundAttachment] | None = None,
    connection: Any = None,
) -> EmailMessage:
    """The message to send for an outbox row: its stored MIME bytes when it has them.

    Raises (and so fails the row, unsent) for a row that got past the rule on addresses (queued
    before it existed, or edited in the database): a recipient or reply-to address with a
    control character (``EmailAddressError``), or a stored header with one (``BadHeaderError``).
    """
    check_header_safe(email.to_email, email.reply_to)
    if email.holds_secret and not email.mime:
        # Only the redacted record is left: sending it would give the recipient a dead link.
        raise ValueError("The message held a personal link that is no longer kept.")
    if email.mime:
        data = bytes(email.mime)
        head_end = data.find(b"\r\n\r\n")
        if _UNSAFE_HEADER_BYTE.search(data, 0, head_end if head_end >= 0 else len(data)):
            raise BadHeaderError("The stored message has a control character in a header.")
        return StoredEmailMessage(mime=data, to_email=email.to_email, connection=connection)
    if attachments is None:
        attachments = email.attachments.all()
    return mime.build_message(
        subject=single_line(email.subject),
        body_text=email.body_text,
        body_html=email.body_html,
        to_email=email.to_email,
        reply_to=email.reply_to,
        idempotency_key=email.idempotency_key,
        attachments=[(a.filename, bytes(a.content), a.mimetype) for a in attachments],
        connection=connection,
    )


def is_transient(error: BaseException) -> bool:
    """4xx replies, refused or dropped connections and timeouts may succeed later; 5xx do not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return True  # our configuration, not the message: retry until someone fixes it
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, OSError | TimeoutError | ssl.SSLError)


def describe_error(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in error.recipients.items()
        ]
        text = "Recipient refused: " + "; ".join(parts)
    elif isinstance(error, smtplib.SMTPResponseException):
        msg = error.smtp_error
        msg = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
        text = f"{type(error).__name__}: {error.smtp_code} {msg}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:_ERROR_LIMIT]


def retry_delay(attempts: int) -> int:
    """Exponential backoff in seconds after ``attempts`` failed tries (1 → base)."""
    base = max(1, settings.OUTBOX_RETRY_BASE_SECONDS)
    return int(min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1)))


@dataclass
class _Kept:
    backend: Any
    key: tuple[Any, ...]
    idle_since: float


# The SMTP connection each worker thread kept open after its last delivery run, by thread id
# (in a dict rather than thread-local storage, so that worker shutdown can quit them all).
_kept: dict[int, _Kept] = {}
_kept_lock = threading.Lock()


def _server_key() -> tuple[Any, ...]:
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", None),
        getattr(settings, "EMAIL_HOST_USER", ""),
        getattr(settings, "EMAIL_USE_TLS", False),
        getattr(settings, "EMAIL_USE_SSL", False),
    )


def _close(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # a dropped connection may fail to close; nothing depends on it
        logger.debug("Closing the SMTP connection failed", exc_info=True)


def _take_connection() -> tuple[Any, bool]:
    """The connection for one delivery run, and whether it was kept open from an earlier run.

    A burst of registrations queues one send task per email, and each task finds one or two
    rows: opening a connection per task (TCP, EHLO, often TLS and AUTH, then QUIT) costs the
    worker and the mail server more than the message. So each worker thread keeps its SMTP
    connection for ``EMAIL_KEEP_CONNECTION_SECONDS`` of idleness (0 closes it after every run),
    well inside the five minutes RFC 5321 asks servers to wait; a changed mail setting, or a
    connection the server has closed meanwhile, is replaced (see ``deliver_queued_emails``).
    """
    with _kept_lock:
        kept = _kept.pop(threading.get_ident(), None)
    if kept is not None:
        fresh = time.monotonic() - kept.idle_since < settings.EMAIL_KEEP_CONNECTION_SECONDS
        if fresh and kept.key == _server_key() and kept.backend.connection is not None:
            return kept.backend, True
        _close(kept.backend)
    return get_connection(fail_silently=False), False


def _keep_or_close(backend: Any) -> None:
    keep = settings.EMAIL_KEEP_CONNECTION_SECONDS > 0 and isinstance(backend, SMTPBackend)
    if keep and backend.connection is not None:
        with _kept_lock:
            _kept[threading.get_ident()] = _Kept(backend, _server_key(), time.monotonic())
    else:
        _close(backend)


def close_kept_connections() -> int:
    """Quit every kept SMTP connection (worker shutdown); returns how many were open."""
    with _kept_lock:
        kept = list(_kept.values())
        _kept.clear()
    for item in kept:
        _close(item.backend)
    return len(kept)


def _stale(error: BaseException) -> bool:
    """The server closed a kept connection while it was idle: nothing was accepted on it."""
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError)


def claim_emails(*, email_id: int | None, limit: int) -> tuple[list[OutboundEmail], dt.datetime]:
    """Mark ``email_id`` (if still queued) and up to ``limit`` other due rows ``sending``.

    Lock: ``FOR UPDATE SKIP LOCKED`` on the rows, released at commit, so two workers never
    claim the same row. The claim time is returned as the token later updates must match.

    Skipping locked rows is the design, not an optimisation: every committed email queues a
    task, and concurrent tasks each take a different batch instead of waiting on each other's
    rows; a task whose row an earlier batch already took claims the other due rows, or nothing
    and ends.
    """
    now = timezone.now()
    # Due by this worker's clock, or never deferred (queued_at == next_attempt_at): a row
    # queued a moment ago by a web process whose clock runs ahead is still taken.
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at=F("queued_at"))
    wanted = Q(pk=email_id) | due if email_id is not None else due
    queued = OutboundEmail.objects.filter(wanted, status=EmailStatus.QUEUED)
    # Most send tasks of a burst find their email taken by an earlier batch: one unlocked
    # read tells them, without a transaction (a row it misses is the sweep's, or the next
    # task's, to claim).
    if not queued.exists():
        return [], now
    # The task's own email first, then the longest waiting.
    order = ["next_attempt_at", "pk"]
    if email_id is not None:
        order.insert(0, Case(When(pk=email_id, then=Value(0)), default=Value(1)))
    with transaction.atomic():
        claimed = list(queued.select_for_update(skip_locked=True).order_by(*order)[:limit])
        if claimed:
            OutboundEmail.objects.filter(pk__in=[e.pk for e in claimed]).update(
                status=EmailStatus.SENDING, sending_started_at=now
            )
    return claimed, now


def _finish(email: OutboundEmail, token: dt.datetime, **values: Any) -> None:
    # Only the claim that set "sending" may finish the row (the sweep may have re-queued it).
    if values.get("status") == EmailStatus.FAILED and email.holds_secret:
        values["mime"] = b""  # the personal link it holds does not outlive a failed delivery
    OutboundEmail.objects.filter(
        pk=email.pk, status=EmailStatus.SENDING, sending_started_at=token
    ).update(**values)


def _record_sent(ids: list[int], token: dt.datetime) -> None:
    """Mark accepted emails sent and drop their MIME (it may hold a personal link; the
    redacted subject and bodies stay as the record). Called after every accepted message, so
    a worker killed between the server's "250" and this commit re-sends at most that one.
    """
    if not ids:
        return
    now = timezone.now()
    OutboundEmail.objects.filter(
        pk__in=ids, status=EmailStatus.SENDING, sending_started_at=token
    ).update(
        mime=b"",
        status=EmailStatus.SENT,
        attempts=F("attempts") + 1,
        sent_at=now,
        updated_at=now,
        last_error="",
    )
    ids.clear()


def _send(connection: Any, message: EmailMessage) -> None:
    """Send one message; stored MIME goes straight to an open SMTP connection.

    The addresses were validated when the email was queued, so Django's per-message address
    re-parsing (a fifth of the worker's time) is skipped for stored messages.
    """
    smtp = getattr(connection, "connection", None)
    if isinstance(message, StoredEmailMessage) and isinstance(smtp, smtplib.SMTP):
        recipients = [a if a.isascii() else sanitize_address(a, "utf-8") for a in message.to]
        smtp.sendmail(settings.DEFAULT_FROM_EMAIL, recipients, message.stored_mime)
    else:
        connection.send_messages([message])


def waiting_delay(emails: Iterable[OutboundEmail], *, now: dt.datetime) -> int:
    """The backoff for emails that were not tried (no connection to the mail server): half of
    the time the longest waiting of them has waited, between the base and the longest delay.
    One delay for the whole batch, so it is tried again by one task: an outage of any length
    costs a few connection attempts an hour, and ends no email."""
    waited = max((now - email.queued_at).total_seconds() for email in emails)
    base = max(1, settings.OUTBOX_RETRY_BASE_SECONDS)
    return int(min(settings.OUTBOX_RETRY_MAX_SECONDS, max(base, waited / 2)))


def _after_transient(
    email: OutboundEmail,
    token: dt.datetime,
    error: str,
    *,
    tried: bool,
    waiting: int,
    now: dt.datetime,
) -> int:
    """Back to queued with backoff, or failed after the last attempt; returns the delay.

    Only an email the server was given (``tried``) counts an attempt: while the mail server
    cannot be reached, or refuses our login, the emails wait (``waiting``, see
    ``waiting_delay``) instead of using up their attempts, so an outage longer than the
    attempts' backoff fails none of them.
    """
    attempts = email.attempts + (1 if tried else 0)
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _finish(email, token, status=EmailStatus.FAILED, attempts=attempts, last_error=error)
        return -1
    delay = retry_delay(max(1, attempts)) if tried else waiting
    _finish(
        email,
        token,
        status=EmailStatus.QUEUED,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=delay),
    )
    return delay


def deliver_queued_emails(
    *, email_id: int | None = None, limit: int | None = None
) -> DeliveryResult:
    """Send ``email_id`` and other due queued emails over one SMTP connection (the thread's
    kept connection when it has a fresh one; ``result.connections`` counts those opened).

    Invariant: a row is sent only by the worker whose claim moved it from queued to sending.
    Lock: see ``claim_emails``; no lock is held while talking to the SMTP server.
    Side effects: SMTP traffic; rows end ``sent``, ``failed`` or ``queued`` (with backoff,
    and a delayed send task unless tasks run eagerly).
    """
    result = DeliveryResult()
    limit = limit or settings.OUTBOX_BATCH_SIZE
    claimed, token = claim_emails(email_id=email_id, limit=limit)
    result.claimed = len(claimed)
    if not claimed:
        return result
    attachments = OutboundAttachment.objects.filter(
        email__in=[email for email in claimed if not email.mime]
    ).order_by("position")
    by_email: dict[int, list[OutboundAttachment]] = {}
    for attachment in attachments:
        by_email.setdefault(attachment.email_id, []).append(attachment)

    retries: dict[int, int] = {}  # delay → first id
    connection, reused = _take_connection()
    connected = reused  # a connection is open: a failure while sending counts an attempt
    pending = list(claimed)
    unrecorded: list[int] = []  # accepted by the server, not yet marked sent
    healthy = False
    try:
        if not reused:
            connection.open()
            result.connections += 1
            connected = True
        while pending:
            email = pending[0]
            try:
                message = build_message(
                    email, attachments=by_email.get(email.pk, []), connection=connection
                )
                _send(connection, message)
            except Exception as exc:
                if reused and _stale(exc):
                    # The kept connection was closed by the server while idle (the first
                    # command on it failed, so no message was accepted): open a new one and
                    # send the same email again, once.
                    logger.info("Kept SMTP connection was closed (%s); reconnecting", exc)
                    reused = connected = False
                    _close(connection)
                    connection = get_connection(fail_silently=False)
                    connection.open()
                    result.connections += 1
                    connected = True
                    continue
                error = describe_error(exc)
                if not is_transient(exc):
                    logger.warning("Email %s failed permanently: %s", email.pk, error)
                    _finish(
                        email,
                        token,
                        status=EmailStatus.FAILED,
                        attempts=F("attempts") + 1,
                        last_error=error,
                    )
                    result.failed.append(email.pk)
                    pending.pop(0)
                    reused = False
                    continue
                raise
            unrecorded.append(email.pk)
            result.sent.append(email.pk)
            pending.pop(0)
            reused = False
            _record_sent(unrecorded, token)
        healthy = True
    except Exception as exc:
        _record_sent(unrecorded, token)
        if not is_transient(exc):
            raise
        error = describe_error(exc)
        logger.warning("SMTP unavailable, %d emails back in the queue: %s", len(pending), error)
        now = timezone.now()
        waiting = waiting_delay(pending, now=now)
        for i, email in enumerate(pending):
            # Only the email being sent counts an attempt; the rest were never tried, nor was
            # any email when no connection could be opened (or logged in to).
            delay = _after_transient(
                email, token, error, tried=i == 0 and connected, waiting=waiting, now=now
            )
            if delay < 0:
                result.failed.append(email.pk)
            else:
                result.retry.append(email.pk)
                retries.setdefault(delay, email.pk)
    finally:
        _record_sent(unrecorded, token)
        if healthy:
            _keep_or_close(connection)
        else:
            _close(connection)

    if retries and not current_app.conf.task_always_eager:
        # Eager mode would retry at once, in the request; the next send picks them up instead.
        for delay, first_id in retries.items():
            dispatch_email_tasks([first_id], countdown=delay)
    return result


def sweep_outbox() -> dict[str, int]:
    """Re-queue emails stuck in ``sending`` and re-dispatch queued emails whose task was lost.

    Lock: ``FOR UPDATE SKIP LOCKED`` on the stuck rows. A worker killed mid-send may thus send
    a duplicate (same Message-ID); a lost email is worse. Side effect: send tasks on commit.
    """
    now = timezone.now()
    stuck_before = now - dt.timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
    due_before = now - dt.timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS)
    with transaction.atomic():
        stuck = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=EmailStatus.SENDING, sending_started_at__lt=stuck_before)
            .values_list("pk", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=stuck).update(
            status=EmailStatus.QUEUED,
            queued_at=now,
            next_attempt_at=now,
            last_error="Sending was interrupted (worker stopped); re-queued by the sweep.",
        )
        overdue = list(
            OutboundEmail.objects.filter(status=EmailStatus.QUEUED, next_attempt_at__lt=due_before)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
        )
        ids = stuck + overdue
        if ids:
            transaction.on_commit(lambda: dispatch_email_tasks(ids))
    if ids:
        logger.info(
            "Outbox sweep: %d stuck re-queued, %d overdue re-dispatched",
            *map(len, (stuck, overdue)),
        )
    return {"stuck": len(stuck), "overdue": len(overdue)}
