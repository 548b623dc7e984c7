"""The personal-data registry (DOMAIN.md rule 12): who holds a person's data, and how it is
exported for an access request and anonymised after the retention period or on request.

Each app declares its tables in its own ``personal_data.py``: handler classes returned by a
receiver of ``register_personal_data_handlers`` (connected in the app's ``AppConfig.ready()``),
as pretix registers its data shredders. The orchestration (``registrations.retention``) only
iterates the handlers, so a new app holding personal data joins by registering a handler, and a
test fails for any model that points at a registration or an email without one.

Anonymising keeps what the procurement record needs (the company, its country and organisation
number, every row and so every count) and removes the person: name, email, phone, free text,
the personal link and sessions, the bodies and messages of the emails sent to them, and every
copy of their name, address or phone in questions, answers, minutes, live events, the admin
history and the audit log.

This module is the shared layer: it imports Django and other shared modules, never an app. Its
own handlers, at the end, cover the outbox and the audit log (with Django's admin history).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Model, Q
from django.dispatch import Signal
from django.utils.translation import gettext as _

from .audit.log import snapshot
from .choices import EmailStatus
from .models import AuditEntry, OutboundAttachment, OutboundEmail

if TYPE_CHECKING:
    from registrations.models import Registration

ANONYMISED = "[anonymised]"
REMOVED_BODY = "[removed: the recipient's personal data was anonymised]"
# Shorter values (a two-letter name, say) would replace innocent text everywhere.
MIN_VALUE_LENGTH = 4

register_personal_data_handlers = Signal()
"""Sent with ``sender=None``; each receiver returns a list of ``PersonalDataHandler``
subclasses (the pretix ``register_data_shredders`` pattern)."""


# --- Scrubbing text -------------------------------------------------------------------------


class Scrubber:
    """Replaces every occurrence (any case) of a person's values in text and JSON."""

    def __init__(self, values: Iterable[str]) -> None:
        cleaned = sorted(
            {v.strip() for v in values if v and len(v.strip()) >= MIN_VALUE_LENGTH},
            key=len,
            reverse=True,
        )
        self.values = cleaned
        self._pattern = (
            re.compile("|".join(re.escape(v) for v in cleaned), re.IGNORECASE) if cleaned else None
        )

    def text(self, value: str) -> str:
        if not value or self._pattern is None:
            return value
        return self._pattern.sub(ANONYMISED, value)

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value

    def matches(self, *fields: str) -> Q:
        """Rows where any of ``fields`` contains any value (case-insensitive)."""
        condition = Q(pk__in=[])
        for field in fields:
            for value in self.values:
                condition |= Q(**{f"{field}__icontains": value})
        return condition


def scrub_rows(queryset: Any, fields: tuple[str, ...], scrubber: Scrubber) -> int:
    """Rewrite ``fields`` of every row that contains a value; returns how many rows."""
    changed = 0
    for row in queryset.filter(scrubber.matches(*fields)):
        for field in fields:
            value = getattr(row, field)
            setattr(
                row,
                field,
                scrubber.json(value) if not isinstance(value, str) else scrubber.text(value),
            )
        type(row)._default_manager.filter(pk=row.pk).update(
            **{field: getattr(row, field) for field in fields}
        )
        changed += 1
    return changed


def export_row(obj: Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A row as JSON for an export; secrets (token hashes, session secrets) never appear."""
    values = snapshot(obj)
    for name in exclude:
        values.pop(name, None)
    return {k: v for k, v in values.items() if not (isinstance(v, dict) and "secret" in v)}


# --- The handlers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Anonymisation:
    """One anonymisation run, as every handler sees it."""

    scrubber: Scrubber  # replaces the person's identifying values in free text
    previous_email: str  # the address before the registrations handler replaced it
    now: dt.datetime
    actor: AbstractBaseUser | None
    reason: str


class PersonalDataHandler:
    """How one app's tables hold a person's data. Subclass, set ``identifier`` and
    ``models``, override what applies, and return the class from a receiver of
    ``register_personal_data_handlers``.

    ``anonymise`` runs for one registration inside the orchestration's transaction, with the
    registration row locked; handlers run in ascending ``order`` (then ``identifier``), and
    every row stays so every count stays.
    """

    identifier: ClassVar[str] = ""
    # Handlers run in this order. The registration's own fields go first (later handlers see
    # the anonymised row and its new address); the audit log goes last (it scrubs copies
    # anywhere, the admin history included).
    order: ClassVar[int] = 50
    # Every model holding rows about a person, whether or not anonymising rewrites them (rows
    # that hold only ids stay as they are): the coverage test checks this list.
    models: ClassVar[tuple[type[Model], ...]] = ()
    # Fields whose whole value is the person (not free text that may quote them): the audit
    # log's recorded changes of these fields are replaced in the entries about the person.
    personal_fields: ClassVar[tuple[str, ...]] = ()

    def identifying_values(self, registration: Registration) -> Iterable[str]:
        """Values that identify the person (name, address, phone, earlier ones too), replaced
        wherever any handler finds them in free text. Read before anything is anonymised."""
        del registration
        return ()

    def export(self, registration: Registration) -> dict[str, Any]:
        """This app's data about the person behind ``registration``, keyed by section."""
        del registration
        return {}

    def anonymise(self, registration: Registration, run: Anonymisation) -> None:
        """Remove the person from this app's rows. ``run.previous_email`` is the address as it was
        before the registrations handler replaced it."""


def get_handlers() -> list[PersonalDataHandler]:
    """Every registered handler, instantiated, in their defined order."""
    classes: list[type[PersonalDataHandler]] = []
    for receiver, response in register_personal_data_handlers.send(sender=None):
        if isinstance(response, type):
            response = [response]
        for handler in response or ():
            if not (isinstance(handler, type) and issubclass(handler, PersonalDataHandler)):
                raise ImproperlyConfigured(
                    f"{receiver!r} returned {handler!r}, not a PersonalDataHandler subclass."
                )
            classes.append(handler)
    identifiers = [handler.identifier for handler in classes]
    if "" in identifiers or len(set(identifiers)) != len(identifiers):
        raise ImproperlyConfigured(
            f"Personal-data handlers need unique, non-empty identifiers: {identifiers}"
        )
    return [handler() for handler in sorted(classes, key=lambda h: (h.order, h.identifier))]


def covered_models() -> set[type[Model]]:
    """The models some registered handler declares."""
    return {model for handler in get_handlers() for model in handler.models}


# --- The shared layer's own tables: the outbox and the audit log ------------------------------


class OutboxHandler(PersonalDataHandler):
    """Emails sent to the person: linked to the registration, or (sent before it existed) to
    its address in its conference."""

    identifier = "outbox"
    order = 10
    models = (OutboundEmail, OutboundAttachment)

    @staticmethod
    def _emails(registration: Registration, email: str) -> Any:
        return OutboundEmail.objects.filter(
            Q(registration_id=registration.pk)
            | Q(
                registration__isnull=True,
                conference_id=registration.conference_id,
                to_email__iexact=email,
            )
        )

    def export(self, registration: Registration) -> dict[str, Any]:
        emails = self._emails(registration, registration.email).order_by("created_at", "pk")
        return {"emails": [export_row(e, exclude=("registration", "conference")) for e in emails]}

    def anonymise(self, registration: Registration, run: Anonymisation) -> None:
        # The record of what was sent stays (kind, status, times); the person goes. Emails
        # still queued are not sent.
        emails = self._emails(registration, run.previous_email)
        emails.filter(status__in=(EmailStatus.QUEUED, EmailStatus.SENDING)).update(
            status=EmailStatus.FAILED,
            last_error=_("Not sent: the recipient's personal data was anonymised."),
        )
        email_ids = list(emails.values_list("pk", flat=True))
        for email in OutboundEmail.objects.filter(pk__in=email_ids):
            OutboundEmail.objects.filter(pk=email.pk).update(
                to_email=registration.email,
                subject=run.scrubber.text(email.subject),
                body_text=REMOVED_BODY,
                body_html="",
                mime=b"",
                last_error=run.scrubber.text(email.last_error),
            )
        OutboundAttachment.objects.filter(email_id__in=email_ids).update(content=b"")


class AuditHandler(PersonalDataHandler):
    """The audit log and Django's admin history: every entry stays, the person's values in
    their text go. Last, so it sees the registration as anonymised."""

    identifier = "audit"
    order = 1000
    models = (AuditEntry, LogEntry)

    def export(self, registration: Registration) -> dict[str, Any]:
        entries = AuditEntry.objects.filter(registration_id=registration.pk).order_by("at", "pk")
        return {
            "audit_log": [
                {
                    "at": a.at.isoformat(),
                    "by": a.actor_repr,
                    "action": a.action,
                    "object": a.object_repr,
                    "changes": a.changes,
                    "note": a.note,
                }
                for a in entries
            ]
        }

    def anonymise(self, registration: Registration, run: Anonymisation) -> None:
        # Django's admin history names objects as they were ("Company (Name)").
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(registration),
            object_id=str(registration.pk),
        ).update(object_repr=str(registration)[:200])
        scrub_rows(LogEntry.objects.all(), ("object_repr", "change_message"), run.scrubber)
        personal_fields = {field for h in get_handlers() for field in h.personal_fields}
        self._scrub_audit(registration.pk, run.scrubber, personal_fields)

    @staticmethod
    def _scrub_audit(registration_id: int, scrubber: Scrubber, personal_fields: set[str]) -> None:
        """The audit log keeps every entry; only the person's values in its text are rewritten.

        The append-only trigger lets this through only with ``dialogkonferanse.anonymising``
        set for this transaction (SET LOCAL ends with it).
        """
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL dialogkonferanse.anonymising = 'on'")
        try:
            about = AuditEntry.objects.filter(
                Q(registration_id=registration_id)
                | scrubber.matches("object_repr", "note", "changes")
            )
            for entry in about:
                changes = scrubber.json(entry.changes)
                if entry.registration_id == registration_id:
                    for field in personal_fields:
                        if field in changes:
                            changes[field] = [ANONYMISED if v else v for v in changes[field]]
                AuditEntry.objects.filter(pk=entry.pk).update(
                    changes=changes,
                    object_repr=scrubber.text(entry.object_repr),
                    note=scrubber.text(entry.note),
                )
        finally:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL dialogkonferanse.anonymising = 'off'")


def register_shared_handlers(sender: Any, **kwargs: Any) -> list[type[PersonalDataHandler]]:
    return [OutboxHandler, AuditHandler]
