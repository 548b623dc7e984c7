"""The emails of the registrations app, queued in the shared outbox
(``dialogkonferanse.outbox.queue``).

Each function must be called inside the transaction of the change that causes the email; the
outbox sends after commit, so a rolled-back registration sends nothing.
"""

from __future__ import annotations

from typing import Any

from dialogkonferanse.outbox.queue import Attachment, email_queued, queue_email

from .choices import EmailKind
from .entry_links import EntryLink, issue_entry_link
from .ics import INVITE_MIMETYPE, plenary_invite
from .links import conference_url
from .models import Registration
from .tokens import hash_token

TEMPLATES = {
    EmailKind.CONFIRMATION: "registration_confirmation",
    EmailKind.ALREADY: "registration_already",
    EmailKind.LINK: "registration_link",
    EmailKind.REMINDER_DAY: "registration_reminder",
    EmailKind.REMINDER_HOUR: "registration_reminder",
}


def _context(registration: Registration, *, link: EntryLink) -> dict[str, Any]:
    """``personal_url`` and ``stream_url`` are the email's personal link, opening the personal
    page and the stream page on any device."""
    conference = registration.conference
    return {
        "registration": registration,
        "conference": conference,
        "buyer": conference.buyer,
        "personal_url": link.url_for("personal"),
        "stream_url": link.url_for("stream"),
        "conference_url": conference_url(conference),
        "one_to_one_offered": conference.offers_one_to_one,
        "one_to_one_requested": registration.wants_one_to_one,
        "cancelled": registration.cancelled_at is not None,
    }


def _invite(registration: Registration, *, link: EntryLink) -> list[Attachment]:
    return [
        Attachment(
            filename=f"{registration.conference.slug}.ics",
            content=plenary_invite(registration, stream_url=link.url_for("stream")),
            mimetype=INVITE_MIMETYPE,
        )
    ]


def _queue(
    registration: Registration,
    *,
    kind: EmailKind,
    idempotency_key: str,
    link: EntryLink,
    attach_invite: bool = False,
    extra: dict[str, Any] | None = None,
) -> Any:
    context = _context(registration, link=link)
    context.update(extra or {})
    return queue_email(
        kind=kind.value,
        to=registration.email,
        language=registration.language,
        template=TEMPLATES[kind],
        context=context,
        idempotency_key=idempotency_key,
        attachments=_invite(registration, link=link) if attach_invite else (),
        conference=registration.conference,
        registration=registration,
        reply_to=registration.conference.contact_email,
        secrets=[link.token],
    )


def _key_part(link: EntryLink) -> str:
    """A part of an idempotency key that tells links apart without holding the token."""
    return hash_token(link.token)[:16]


def queue_confirmation(registration: Registration, *, link: EntryLink) -> Any:
    """Personal link, stream page, times, the plenary invite and the one-to-one answer."""
    return _queue(
        registration,
        kind=EmailKind.CONFIRMATION,
        idempotency_key=f"registration:{registration.pk}:confirmation",
        link=link,
        attach_invite=not registration.cancelled_at,
    )


def queue_already_registered(registration: Registration, *, link: EntryLink) -> Any:
    """Someone registered this address again: tell its owner that nothing changed, with one
    more link and the invite (which also keeps this path's work, and so its timing, like a new
    registration's)."""
    return _queue(
        registration,
        kind=EmailKind.ALREADY,
        idempotency_key=f"registration:{registration.pk}:already:{_key_part(link)}",
        link=link,
        attach_invite=not registration.cancelled_at,
    )


def _request_key(registration: Registration, *, request_id: str) -> str:
    return f"registration:{registration.pk}:link-request:{request_id}"


def queue_access_link(registration: Registration, *, link: EntryLink, request_id: str = "") -> Any:
    """One more personal link (asked for through "resend my link", or sent by staff); the
    earlier links keep working."""
    key = (
        _request_key(registration, request_id=request_id)
        if request_id
        else f"registration:{registration.pk}:link:{_key_part(link)}"
    )
    return _queue(registration, kind=EmailKind.LINK, idempotency_key=key, link=link)


def access_link_already_sent(registration: Registration, *, request_id: str) -> bool:
    """Whether the link email for this "resend my link" request is already in the outbox."""
    return email_queued(_request_key(registration, request_id=request_id))


def queue_reminder(registration: Registration, *, kind: EmailKind) -> Any:
    """The day-before or hour-before reminder with a personal link to the stream page; once per
    registration."""
    key = f"registration:{registration.pk}:{kind.value}"
    if email_queued(key):
        return None  # already queued: no second link
    return _queue(
        registration,
        kind=kind,
        idempotency_key=key,
        link=issue_entry_link(registration=registration, purpose=kind, target="stream"),
        extra={"reminder_hour": kind == EmailKind.REMINDER_HOUR},
    )
