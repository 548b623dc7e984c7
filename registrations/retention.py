"""Personal data, orchestrated: anonymisation after the retention period (or on request) and
the export for access requests (DOMAIN.md rule 12).

The registration is the person, so the orchestration lives here; where the person's data lies
is for the handlers of the registry (``dialogkonferanse.personal_data``) to say, each app its
own. This module locks the registration, builds the values to scrub, runs every handler in one
transaction and audits the result; it names no other app's tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from dialogkonferanse.audit.log import record_audit, snapshot
from dialogkonferanse.choices import AuditAction
from dialogkonferanse.personal_data import ANONYMISED, Anonymisation, Scrubber, get_handlers

from .expiry import add_months
from .models import Registration
from .personal_data import PERSONAL_FIELDS
from .services import lock_registration


class RetentionError(Exception):
    """The anonymisation could not be done; the message says why."""


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
    the registration row; one transaction, so an error in any handler leaves everything as it
    was. Emails still queued for the person are not sent. Audited, with ``reason``.
    """
    now = now or timezone.now()
    handlers = get_handlers()
    with transaction.atomic():
        registration = lock_registration(registration_id)
        if registration is None:
            raise RetentionError(_("This registration no longer exists."))
        if registration.anonymised_at is not None:
            return False
        scrubber = Scrubber(
            value for handler in handlers for value in handler.identifying_values(registration)
        )
        before = snapshot(registration)
        run = Anonymisation(
            scrubber=scrubber, previous_email=before["email"], now=now, actor=actor, reason=reason
        )
        for handler in handlers:
            handler.anonymise(registration, run)
        record_audit(
            actor=actor,
            action=AuditAction.ANONYMISE,
            obj=registration,
            changes={
                field: [ANONYMISED, ANONYMISED if field != "email" else registration.email]
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
    due: list[ExpiredRegistration] = []
    conferences = Conference.objects.filter(
        status=ConferenceStatus.CLOSED, closed_at__isnull=False
    ).values_list("pk", "closed_at", "retention_months")
    for conference_id, closed_at, months in conferences:
        due_since = add_months(closed_at, months)  # as expiry.retention_ends_at
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


def export_personal_data(*, email: str, actor: AbstractBaseUser | None = None) -> dict[str, Any]:
    """Everything stored about the person with this email address, in every conference.

    For access requests (GDPR art. 15): per registration, each handler's sections (the
    registration, emails sent to them with bodies while they are stored, questions and
    answers, votes, attendance, meetings with minutes, waiting-list places, meeting log and the
    audit entries about them). Audited (one entry per registration). Secrets (link token
    hashes, session secrets) are never exported.
    """
    handlers = get_handlers()
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
            item: dict[str, Any] = {}
            for handler in handlers:
                sections = handler.export(registration)
                if clash := item.keys() & sections.keys():
                    # One handler's section would hide another's in the export.
                    raise ImproperlyConfigured(
                        f"Personal-data handler {handler.identifier!r} repeats {sorted(clash)}."
                    )
                item.update(sections)
            result["registrations"].append(item)
            record_audit(
                actor=actor,
                action=AuditAction.EXPORT,
                obj=registration,
                changes={},
                note=_("Personal data exported for an access request."),
            )
    return result
