"""The one email renderer and outbox for every app.

Queueing: ``queue_email`` renders ``templates/emails/<template>/{subject.txt,body.txt,body.html}``
in the recipient's language and Oslo time and writes one ``OutboundEmail`` row inside the
caller's transaction; the send task is queued only after commit.

Delivery (claim, send over one SMTP connection, sweep) lives in
``dialogkonferanse.outbox.delivery``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext

from dialogkonferanse.audit.log import record_change, snapshot
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.common.tasks import enqueue_on_commit
from dialogkonferanse.common.validators import has_control_characters, one_line
from dialogkonferanse.models import OutboundAttachment, OutboundEmail
from dialogkonferanse.outbox.message import message_bytes

if TYPE_CHECKING:
    from conferences.models import Conference
    from registrations.models import Registration

OSLO = "Europe/Oslo"
logger = logging.getLogger(__name__)

_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class EmailAddressError(ValueError):
    """An address the outbox will not send to; ``str(exc)`` is a translated message."""


@dataclass(frozen=True)
class Attachment:
    """A file to send with an email. ``mimetype`` without a charset parameter."""

    filename: str
    content: bytes
    mimetype: str  # e.g. "text/calendar; method=REQUEST"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


# --- Rendering ------------------------------------------------------------------------------


def _render(name: str, context: dict[str, Any], *, autoescape: bool) -> str:
    # The backend wrapper always autoescapes; text parts must not turn "&" into "&amp;".
    template = get_template(name).template  # type: ignore[attr-defined]
    return template.render(Context(context, autoescape=autoescape))


def single_line(value: str) -> str:
    """Collapse all whitespace and line breaks to single spaces and drop control characters,
    so a header value cannot be split."""
    return one_line(value)


def email_context(
    context: dict[str, Any], *, language: str, conference: Conference | None = None
) -> dict[str, Any]:
    """The caller's context plus what every email layout uses (site URL, buyer signature)."""
    full: dict[str, Any] = {"site_url": settings.SITE_URL, "language": language}
    if conference is not None:
        buyer = conference.buyer
        full.update(
            conference=conference,
            buyer=buyer,
            signature=buyer.email_signature.strip() or buyer.name,
        )
    full.update(context)
    return full


def render_email(
    *, template: str, context: dict[str, Any], language: str, conference: Conference | None = None
) -> RenderedEmail:
    """Render subject, text and HTML of ``templates/emails/<template>/`` in ``language``/Oslo."""
    with translation.override(language), timezone.override(OSLO):
        # In the recipient's language: the buyer's name and signature are translated content.
        full = email_context(context, language=language, conference=conference)
        subject = _render(f"emails/{template}/subject.txt", full, autoescape=False)
        body_text = _render(f"emails/{template}/body.txt", full, autoescape=False)
        body_html = _render(f"emails/{template}/body.html", full, autoescape=True)
    body_text = _BLANK_LINES.sub("\n\n", body_text.strip()) + "\n"
    return RenderedEmail(subject=single_line(subject), body_text=body_text, body_html=body_html)


def _address_refused() -> EmailAddressError:
    return EmailAddressError(
        gettext(
            "Not a valid email address to send to: it must be a single address without "
            "line breaks or control characters."
        )
    )


def check_header_safe(*addresses: str) -> None:
    """``EmailAddressError`` if an address holds a line break or another control character,
    which could forge a header (the cheap part of ``check_recipient``)."""
    if any(has_control_characters(address) for address in addresses):
        raise _address_refused()


def check_recipient(address: str) -> str:
    """``address`` without surrounding spaces if it is one address the outbox may send to
    (no line break or other control character, which could forge a header); otherwise
    ``EmailAddressError``."""
    check_header_safe(address)
    stripped = address.strip()
    try:
        validate_email(stripped)
    except ValidationError as exc:
        raise _address_refused() from exc
    return stripped


def _printable(address: str) -> str:
    """A refused address as it can be stored and shown: control characters escaped."""
    return address.encode("unicode_escape").decode("ascii")[:254]


# --- Queueing -------------------------------------------------------------------------------


def queue_email(
    *,
    kind: str,
    to: str,
    language: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str,
    attachments: Sequence[Attachment] = (),
    conference: Conference | None = None,
    registration: Registration | None = None,
    reply_to: str = "",
    secrets: Sequence[str] = (),
) -> OutboundEmail:
    """Render an email and write it to the outbox in the caller's transaction.

    ``secrets`` (such as a personal access token) appear only in the MIME that is sent; the
    subject, bodies and attachments kept as the record show ``REDACTED`` instead, and the MIME
    itself is cleared once the email has been sent or has failed (``holds_secret``), so no
    credential outlives its delivery.

    Invariant: one row per ``idempotency_key`` (unique constraint; an insert that loses the race
    writes nothing and returns the existing row). Lock: none beyond the unique index.
    Side effect: the send task is queued on commit, so a rolled-back caller sends nothing.
    A recipient or reply-to address that holds a control character or is not one valid address
    (only a row stored before the rule on addresses, or written around the models, can have one)
    is never sent to: the row is written as failed, with the reason in ``last_error`` and no
    message, and no task is queued. So one such address never stops the change that causes the
    email, or the other emails of a bulk send; a caller that must tell someone checks the
    returned row's status.
    """
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}.")
    refusal = ""
    try:
        to = check_recipient(to)
        if reply_to:
            reply_to = check_recipient(reply_to)
    except EmailAddressError as exc:
        refusal = str(exc)
        logger.warning("Email %s not queued: its address is not one to send to", idempotency_key)
        # Kept readable for staff, and storable (PostgreSQL text holds no NUL byte).
        to, reply_to = _printable(to), _printable(reply_to)
    # No look-up first: almost every key is new, and the unique index answers for the rest.
    rendered = render_email(
        template=template, context=context, language=language, conference=conference
    )
    now = timezone.now()
    mime = b""
    if not refusal:
        mime = message_bytes(
            subject=single_line(rendered.subject),
            body_text=rendered.body_text,
            body_html=rendered.body_html,
            to_email=to,
            reply_to=reply_to,
            idempotency_key=idempotency_key,
            attachments=[(a.filename, a.content, a.mimetype) for a in attachments],
        )
    email = OutboundEmail(
        mime=mime,
        holds_secret=any(secret for secret in secrets),
        status=EmailStatus.FAILED if refusal else EmailStatus.QUEUED,
        last_error=refusal,
        kind=kind,
        to_email=to,
        reply_to=reply_to,
        language=language,
        subject=redact(rendered.subject, secrets),
        body_text=redact(rendered.body_text, secrets),
        body_html=redact(rendered.body_html, secrets),
        idempotency_key=idempotency_key,
        queued_at=now,
        next_attempt_at=now,
        conference=conference,
        registration=registration,
    )
    try:
        # A savepoint, so a key already queued leaves the caller's transaction usable. A
        # concurrent insert of the same key waits for the other transaction and then conflicts.
        with transaction.atomic():
            email.save(force_insert=True)
            OutboundAttachment.objects.bulk_create(
                OutboundAttachment(
                    email=email,
                    position=i,
                    filename=a.filename,
                    mimetype=a.mimetype,
                    content=redact_attachment(bytes(a.content), secrets),
                )
                for i, a in enumerate(attachments)
            )
    except IntegrityError:
        existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise  # another constraint refused the row
        return existing
    if not refusal:
        dispatch_email_tasks([email.pk])
    return email


REDACTED = "[…]"


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every non-empty secret replaced by ``REDACTED``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


# RFC 5545 folds long lines (CRLF then a space or tab), which can split a secret in two.
_FOLD = re.compile(rb"\r\n[ \t]")


def redact_attachment(content: bytes, secrets: Sequence[str]) -> bytes:
    """An attachment as the outbox keeps it: ``content`` itself unless a secret is in it
    (possibly split by a calendar file's line folding); then unfolded, with every secret
    replaced by ``REDACTED``."""
    needles = [secret.encode() for secret in secrets if secret]
    if not needles:
        return content
    unfolded = _FOLD.sub(b"", content)
    if not any(needle in unfolded for needle in needles):
        return content
    for needle in needles:
        unfolded = unfolded.replace(needle, REDACTED.encode())
    return unfolded


def email_queued(idempotency_key: str) -> bool:
    """Whether an email with this idempotency key is already in the outbox."""
    return OutboundEmail.objects.filter(idempotency_key=idempotency_key).exists()


def emails_for_registration(registration_id: int) -> QuerySet[OutboundEmail]:
    """Every email queued for one registration, newest first (for other apps' admin)."""
    return OutboundEmail.objects.filter(registration_id=registration_id).order_by(
        "-created_at", "-pk"
    )


# The send task, by its registered name: this module sits below ``tasks`` and never imports it.
DELIVER_EMAIL_TASK = "dialogkonferanse.deliver_email"


def dispatch_email_tasks(
    email_ids: Sequence[int | None], *, countdown: float | None = None
) -> None:
    """Queue one send task per batch of ``email_ids`` once the current transaction commits
    (at once in autocommit): a task claims its own row and other due rows up to a batch, so one
    task per batch is enough for rows that all exist already.

    ``queue_email`` calls this with its one id; the sweep and the re-queue action with many.
    With the broker unreachable the rows simply stay queued (``robust``): the periodic sweep
    hands them to a worker once it is back, so the change that caused them (already committed)
    never fails.
    """
    size = max(1, settings.OUTBOX_BATCH_SIZE)
    for start in range(0, len(email_ids), size):
        enqueue_on_commit(
            DELIVER_EMAIL_TASK, countdown=countdown, robust=True, email_id=email_ids[start]
        )


def requeue_failed_emails(*, email_ids: Iterable[int], actor: Any = None) -> int:
    """Put failed emails back in the queue with a fresh attempt count; returns how many.

    An email that held a personal link is not re-queued: its message was dropped when it
    failed, and only a redacted copy is left (``failed_with_secret`` counts them; the supplier
    gets a new link from the registration instead).

    Lock: the failed rows (``FOR UPDATE``). Side effects: one audit entry per email (by
    ``actor``), send tasks queued on commit.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update()
            .filter(pk__in=list(email_ids), status=EmailStatus.FAILED, holds_secret=False)
            .order_by("pk")
        )
        ids = [row.pk for row in rows]
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=EmailStatus.QUEUED, attempts=0, queued_at=now, next_attempt_at=now
        )
        for row in rows:
            before = snapshot(row)
            row.status, row.attempts = EmailStatus.QUEUED, 0
            row.queued_at = row.next_attempt_at = now
            record_change(actor=actor, action="requeue", obj=row, before=before)
        dispatch_email_tasks(ids)
    return len(ids)


def failed_with_secret(email_ids: Iterable[int]) -> int:
    """How many of ``email_ids`` failed holding a personal link (which cannot be re-queued)."""
    return OutboundEmail.objects.filter(
        pk__in=list(email_ids), status=EmailStatus.FAILED, holds_secret=True
    ).count()
