"""The emails of the registrations app, queued in the shared outbox
(``dialogkonferanse.outbox.queue``).

Each function must be called inside the transaction of the change that causes the email; the
outbox sends after commit, so a rolled-back registration sends nothing.
"""

from __future__ import annotations

from typing import Any

from dialogkonferanse.outbox.queue import Attachment, email_queued, queue_email

from .choices import EmailKind
from .ics import INVITE_MIMETYPE, plenary_invite
from .links import conference_url, personal_link, stream_page_url
from .models import Registration

TEMPLATES = {
    EmailKind.CONFIRMATION: "registration_confirmation",
    EmailKind.ALREADY: "registration_already",
    EmailKind.LINK: "registration_link",
    EmailKind.REMINDER_DAY: "registration_reminder",
    EmailKind.REMINDER_HOUR: "registration_reminder",
}


def _context(registration: Registration, *, token: str = "") -> dict[str, Any]:
    conference = registration.conference
    return {
        "registration": registration,
        "conference": conference,
        "buyer": conference.buyer,
        "personal_url": personal_link(token) if token else "",
        "stream_url": stream_page_url(conference),
        "conference_url": conference_url(conference),
        "one_to_one_offered": conference.offers_one_to_one,
        "one_to_one_requested": registration.wants_one_to_one,
        "cancelled": registration.cancelled_at is not None,
    }


def _invite(registration: Registration) -> list[Attachment]:
    return [
        Attachment(
            filename=f"{registration.conference.slug}.ics",
            content=plenary_invite(registration),
            mimetype=INVITE_MIMETYPE,
        )
    ]


def _queue(
    registration: Registration,
    *,
    kind: EmailKind,
    idempotency_key: str,
    token: str = "",
    attach_invite: bool = False,
    extra: dict[str, Any] | None = None,
) -> Any:
    context = _context(registration, token=token)
    context.update(extra or {})
    return queue_email(
        kind=kind.value,
        to=registration.email,
        language=registration.language,
        template=TEMPLATES[kind],
        context=context,
        idempotency_key=idempotency_key,
        attachments=_invite(registration) if attach_invite else (),
        conference=registration.conference,
        registration=registration,
        reply_to=registration.conference.contact_email,
        secrets=[token] if token else (),
    )


def queue_confirmation(registration: Registration, *, token: str) -> Any:
    """Personal link, stream page, times, the plenary invite and the one-to-one answer."""
    return _queue(
        registration,
        kind=EmailKind.CONFIRMATION,
        idempotency_key=f"registration:{registration.pk}:confirmation",
        token=token,
        attach_invite=not registration.cancelled_at,
    )


def queue_already_registered(registration: Registration, *, token: str) -> Any:
    """Someone registered this address again: tell its owner, with a fresh link and the invite
    (which also keeps this path's work, and so its timing, like a new registration's)."""
    return _queue(
        registration,
        kind=EmailKind.ALREADY,
        idempotency_key=f"registration:{registration.pk}:already:{registration.token_hash[:16]}",
        token=token,
        attach_invite=not registration.cancelled_at,
    )


def _link_key(registration: Registration, *, request_id: str) -> str:
    if request_id:
        return f"registration:{registration.pk}:link-request:{request_id}"
    return f"registration:{registration.pk}:link:{registration.token_hash[:16]}"


def queue_access_link(registration: Registration, *, token: str, request_id: str = "") -> Any:
    """A new personal link (asked for through "resend my link", or re-issued by staff)."""
    return _queue(
        registration,
        kind=EmailKind.LINK,
        idempotency_key=_link_key(registration, request_id=request_id),
        token=token,
    )


def access_link_already_sent(registration: Registration, *, request_id: str) -> bool:
    """Whether the link email for this "resend my link" request is already in the outbox."""
    return email_queued(_link_key(registration, request_id=request_id))


def queue_reminder(registration: Registration, *, kind: EmailKind) -> Any:
    """The day-before or hour-before reminder with the stream page; once per registration."""
    return _queue(
        registration,
        kind=kind,
        idempotency_key=f"registration:{registration.pk}:{kind.value}",
        extra={"reminder_hour": kind == EmailKind.REMINDER_HOUR},
    )
