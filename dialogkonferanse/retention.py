"""Personal data: anonymisation after the retention period (or on request) and the export for
access requests (DOMAIN.md rule 12).

Anonymising keeps what the procurement record needs (the company, its country and
organisation number, every row and so every count) and removes the person: name, email, phone,
free text, the personal link and sessions, the bodies and messages of the emails sent to them,
and every copy of their name, address or phone in questions, answers, minutes, live events,
the admin history and the audit log. This module works across the apps on purpose: it is the
one place that knows where a person's data ends up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .audit import record_audit, snapshot
from .choices import AuditAction, EmailStatus
from .models import AuditEntry, OutboundAttachment, OutboundEmail

ANONYMISED = "[anonymised]"
REMOVED_BODY = "[removed: the recipient's personal data was anonymised]"
# Fields of a registration that describe the person, not the company.
PERSONAL_FIELDS = ("contact_name", "email", "phone", "one_to_one_topics")
# Shorter values (a two-letter name, say) would replace innocent text everywhere.
MIN_VALUE_LENGTH = 4


class RetentionError(Exception):
    """The anonymisation could not be done; the message says why."""


def anonymised_email(registration_id: int) -> str:
    return f"anonymised-{registration_id}@invalid"


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """``value`` plus whole calendar months (the 31st becomes the month's last day)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    for day in range(value.day, 27, -1):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return value.replace(year=year, month=month, day=min(value.day, 28))


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


def _scrub_rows(queryset: Any, fields: tuple[str, ...], scrubber: Scrubber) -> int:
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


def _scrub_audit(registration_id: int, scrubber: Scrubber) -> None:
    """The audit log keeps every entry; only the person's values in its text are rewritten.

    The append-only trigger lets this through only with ``dialogkonferanse.anonymising`` set
    for this transaction (SET LOCAL ends with it).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL dialogkonferanse.anonymising = 'on'")
    try:
        about = AuditEntry.objects.filter(
            Q(registration_id=registration_id) | scrubber.matches("object_repr", "note", "changes")
        )
        for entry in about:
            changes = scrubber.json(entry.changes)
            if entry.registration_id == registration_id:
                for field in PERSONAL_FIELDS:
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


def _historic_values(registration_id: int) -> list[str]:
    """Earlier values of the personal fields, as the audit log remembers them."""
    values: list[str] = []
    for changes in AuditEntry.objects.filter(registration_id=registration_id).values_list(
        "changes", flat=True
    ):
        for field in PERSONAL_FIELDS[:3]:
            pair = (changes or {}).get(field)
            if isinstance(pair, list):
                values.extend(v for v in pair if isinstance(v, str) and v != ANONYMISED)
    return values


# --- Anonymising ----------------------------------------------------------------------------


def anonymise_registration(
    *,
    registration_id: int,
    reason: str,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Remove the person from one registration and everything that copied their data.

    Keeps the row (company, country, organisation number, choices, times), and every related
    row, so all counts stay. Idempotent: an anonymised registration returns ``False``. Locks
    the registration row; one transaction, so an error leaves everything as it was. Emails
    still queued for the person are not sent (marked failed). Audited, with ``reason``.
    """
    from meetings.models import MeetingEvent, Minutes
    from qa.models import Answer, LiveEvent, Question
    from registrations.models import Registration
    from registrations.services import lock_registration
    from registrations.tokens import new_session_secret

    now = now or timezone.now()
    with transaction.atomic():
        registration = lock_registration(registration_id)
        if registration is None:
            raise RetentionError(_("This registration no longer exists."))
        if registration.anonymised_at is not None:
            return False
        scrubber = Scrubber(
            [
                registration.email,
                registration.contact_name,
                registration.phone,
                *_historic_values(registration.pk),
            ]
        )
        before = snapshot(registration)
        new_email = anonymised_email(registration.pk)

        registration.contact_name = ANONYMISED
        registration.email = new_email
        registration.phone = ""
        registration.one_to_one_topics = ""
        registration.token_hash = None
        registration.token_issued_at = None
        registration.session_secret = new_session_secret()
        registration.anonymised_at = now
        registration.save()

        # The outbox: the record of what was sent stays (kind, status, times); the person goes.
        emails = OutboundEmail.objects.filter(
            Q(registration_id=registration.pk)
            | Q(
                registration__isnull=True,
                conference_id=registration.conference_id,
                to_email__iexact=before["email"],
            )
        )
        emails.filter(status__in=(EmailStatus.QUEUED, EmailStatus.SENDING)).update(
            status=EmailStatus.FAILED,
            last_error=_("Not sent: the recipient's personal data was anonymised."),
        )
        email_ids = list(emails.values_list("pk", flat=True))
        for email in OutboundEmail.objects.filter(pk__in=email_ids):
            OutboundEmail.objects.filter(pk=email.pk).update(
                to_email=new_email,
                subject=scrubber.text(email.subject),
                body_text=REMOVED_BODY,
                body_html="",
                mime=b"",
                last_error=scrubber.text(email.last_error),
            )
        OutboundAttachment.objects.filter(email_id__in=email_ids).update(content=b"")

        # Free text that may quote the person: theirs, and what staff wrote about it.
        questions = Question.objects.filter(registration_id=registration.pk)
        _scrub_rows(questions, ("text", "original_text", "rejection_reason"), scrubber)
        _scrub_rows(Answer.objects.filter(question__in=questions), ("text",), scrubber)
        _scrub_rows(
            LiveEvent.objects.filter(conference_id=registration.conference_id),
            ("payload", "frame_data"),
            scrubber,
        )
        _scrub_rows(
            Minutes.objects.filter(meeting__registration_id=registration.pk),
            ("internal_notes", "business_secret_passages", "public_summary"),
            scrubber,
        )
        _scrub_rows(
            MeetingEvent.objects.filter(registration_id=registration.pk), ("details",), scrubber
        )
        # Django's admin history names objects as they were ("Company (Name)").
        registration_type = ContentType.objects.get_for_model(Registration)
        LogEntry.objects.filter(
            content_type=registration_type, object_id=str(registration.pk)
        ).update(object_repr=str(registration)[:200])
        _scrub_rows(LogEntry.objects.all(), ("object_repr", "change_message"), scrubber)

        _scrub_audit(registration.pk, scrubber)
        record_audit(
            actor=actor,
            action=AuditAction.ANONYMISE,
            obj=registration,
            changes={
                field: [ANONYMISED, ANONYMISED if field != "email" else new_email]
                for field in PERSONAL_FIELDS
                if before.get(field)
            }
            | {"anonymised_at": [None, now.isoformat()]},
            note=scrubber.text(reason),
        )
    return True


@dataclass(frozen=True)
class ExpiredRegistration:
    registration_id: int
    conference_id: int
    due_since: dt.datetime


def expired_registrations(*, now: dt.datetime) -> list[ExpiredRegistration]:
    """Registrations not yet anonymised of conferences closed more than their retention ago."""
    from conferences.choices import ConferenceStatus
    from conferences.models import Conference
    from registrations.models import Registration

    due: list[ExpiredRegistration] = []
    conferences = Conference.objects.filter(
        status=ConferenceStatus.CLOSED, closed_at__isnull=False
    ).values_list("pk", "closed_at", "retention_months")
    for conference_id, closed_at, months in conferences:
        due_since = add_months(closed_at, months)
        if due_since > now:
            continue
        ids = Registration.objects.filter(
            conference_id=conference_id, anonymised_at__isnull=True
        ).values_list("pk", flat=True)
        due.extend(ExpiredRegistration(pk, conference_id, due_since) for pk in ids.order_by("pk"))
    return due


def anonymise_expired_registrations(*, now: dt.datetime | None = None) -> int:
    """Anonymise every registration past its conference's retention; returns how many.

    One transaction per registration (an error stops at that one; the rest wait for the next
    run). Idempotent. Called by the periodic task and the ``anonymise_expired`` command. The
    audit note is written in the service's default language, whoever runs it.
    """
    now = now or timezone.now()
    done = 0
    for item in expired_registrations(now=now):
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Retention period ended (%(date)s).") % {"date": item.due_since.date()}
        if anonymise_registration(registration_id=item.registration_id, reason=reason, now=now):
            done += 1
    return done


# --- Export for access requests -------------------------------------------------------------


def _row(obj: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    values = snapshot(obj)
    for name in exclude:
        values.pop(name, None)
    return {k: v for k, v in values.items() if not (isinstance(v, dict) and "secret" in v)}


def export_personal_data(*, email: str, actor: AbstractBaseUser | None = None) -> dict[str, Any]:
    """Everything stored about the person with this email address, in every conference.

    For access requests (GDPR art. 15): registrations, emails sent to them (with bodies while
    they are stored), questions and answers, votes, meetings with minutes, waiting-list places,
    meeting log, attendance and the audit entries about them. Audited (one entry per
    registration). Secrets (link token hashes, session secrets) are never exported.
    """
    from meetings.models import Meeting, MeetingEvent, Minutes, WaitingListEntry
    from qa.models import Attendance, Question, Vote
    from registrations.models import Registration

    address = email.strip()
    registrations = list(
        Registration.objects.filter(email__iexact=address)
        .select_related("conference")
        .order_by("created_at", "pk")
    )
    result: dict[str, Any] = {
        "email": address,
        "generated_at": timezone.now().isoformat(),
        "registrations": [],
    }
    with transaction.atomic():
        for registration in registrations:
            questions = Question.objects.filter(registration=registration).select_related("answer")
            meetings = Meeting.objects.filter(registration=registration).select_related(
                "slot", "slot__team"
            )
            minutes = {m.meeting_id: m for m in Minutes.objects.filter(meeting__in=meetings)}
            item = {
                "registration": _row(registration),
                "conference": {
                    "id": registration.conference_id,
                    "title": registration.conference.title,
                    "slug": registration.conference.slug,
                },
                "emails": [
                    _row(e, exclude=("registration", "conference"))
                    for e in OutboundEmail.objects.filter(
                        Q(registration=registration)
                        | Q(
                            registration__isnull=True,
                            conference_id=registration.conference_id,
                            to_email__iexact=address,
                        )
                    ).order_by("created_at", "pk")
                ],
                "questions": [
                    {
                        **_row(q, exclude=("registration", "conference")),
                        "answer": (
                            _row(q.answer, exclude=("question",))
                            if getattr(q, "answer", None) is not None
                            else None
                        ),
                    }
                    for q in questions.order_by("created_at", "pk")
                ],
                "votes": [
                    {"question": v.question_id, "at": v.created_at.isoformat()}
                    for v in Vote.objects.filter(registration=registration).order_by("pk")
                ],
                "meetings": [
                    {
                        **_row(m, exclude=("registration", "conference")),
                        "starts_at": m.slot.starts_at.isoformat(),
                        "ends_at": m.slot.ends_at.isoformat(),
                        "team": m.slot.team.name,
                        "minutes": (
                            _row(minutes[m.pk], exclude=("meeting",)) if m.pk in minutes else None
                        ),
                    }
                    for m in meetings.order_by("slot__starts_at", "pk")
                ],
                "waiting_list": [
                    _row(w, exclude=("registration", "conference"))
                    for w in WaitingListEntry.objects.filter(registration=registration)
                ],
                "meeting_log": [
                    _row(e, exclude=("registration", "conference"))
                    for e in MeetingEvent.objects.filter(registration=registration)
                ],
                "attendance": [
                    _row(a, exclude=("registration", "conference"))
                    for a in Attendance.objects.filter(registration=registration)
                ],
                "audit_log": [
                    {
                        "at": a.at.isoformat(),
                        "by": a.actor_repr,
                        "action": a.action,
                        "object": a.object_repr,
                        "changes": a.changes,
                        "note": a.note,
                    }
                    for a in AuditEntry.objects.filter(registration_id=registration.pk).order_by(
                        "at", "pk"
                    )
                ],
            }
            result["registrations"].append(item)
            record_audit(
                actor=actor,
                action=AuditAction.EXPORT,
                obj=registration,
                changes={},
                note=_("Personal data exported for an access request."),
            )
    return result
