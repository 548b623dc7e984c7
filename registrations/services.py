"""Everything that writes registrations.

Emails are queued in the shared outbox inside the same transaction, so a change that rolls
back sends nothing. A personal link's token exists only in memory and in the email; its row
(``PersonalLink``, see ``entry_links``) keeps the SHA-256.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import EmailField, QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from conferences.services import lock_conference_for_share
from dialogkonferanse.audit.log import record_audit, record_change, snapshot
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.common.tasks import enqueue_on_commit
from dialogkonferanse.common.timefmt import oslo_text

from . import emails
from .choices import EmailKind, Language
from .entry_links import issue_entry_link
from .exceptions import InvalidRegistrationError, RegistrationClosedError, RegistrationError
from .models import PersonalLink, Registration
from .selectors import (
    conference_id_of,
    conferences_starting_between,
    registrations_due_reminder,
)
from .signals import registration_cancelled
from .tokens import new_session_secret

OPEN_STATUSES = (ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE)


@dataclass(frozen=True)
class SupplierDetails:
    """What the supplier entered in the registration form, already validated."""

    organisation_name: str
    contact_name: str
    email: str
    country: str = "NO"
    organisation_number: str = ""
    national_id: str = ""
    phone: str = ""
    language: str = Language.NB
    wants_one_to_one: bool = False
    one_to_one_topics: str = ""
    listed_publicly: bool = False
    open_to_partnering: bool = False
    # The supplier confirmed reading the privacy notice and the dialogue's rules (DOMAIN.md
    # rule 9); a registration without it is refused, whoever the caller.
    privacy_acknowledged: bool = False


@dataclass(frozen=True)
class RegistrationReceipt:
    """For internal callers (demo, tests). Views must not show whether ``created`` is set."""

    registration_id: int
    created: bool
    token: str = field(default="", repr=False)


def ensure_registration_open(*, conference: Conference, now: dt.datetime) -> None:
    """Raise ``RegistrationClosedError`` with a message saying why, unless registration is open."""
    if conference.status == ConferenceStatus.CLOSED:
        raise RegistrationClosedError(
            _(
                "The dialogue is closed: the competition has been announced, so registration "
                "is no longer possible."
            )
        )
    if conference.status not in OPEN_STATUSES:
        raise RegistrationClosedError(_("This conference is not open for registration."))
    if now < conference.registration_opens_at:
        raise RegistrationClosedError(
            _("Registration has not opened yet. It opens %(opens)s.")
            % {"opens": oslo_text(conference.registration_opens_at)}
        )
    if now >= conference.registration_closes_at:
        raise RegistrationClosedError(
            _("Registration closed %(closes)s.")
            % {"closes": oslo_text(conference.registration_closes_at)}
        )


def _lock_conference_shared(conference_id: int, *, with_buyer: bool = False) -> Conference:
    """The conference under a share lock (see ``lock_conference_for_share``)."""
    conference = lock_conference_for_share(conference_id, with_buyer=with_buyer)
    if conference is None:
        raise RegistrationClosedError(_("This conference is not open for registration."))
    return conference


def _by_email(email: str) -> QuerySet[Registration]:
    """Registrations with ``email`` as the unique constraint compares addresses (the database's
    ``LOWER``, which is also what lets the look-up use the constraint's index)."""
    return Registration.objects.alias(email_lower=Lower("email")).filter(
        email_lower=Lower(Value(email, output_field=EmailField()))
    )


def _lock_by_email(*, conference: Conference, email: str) -> Registration | None:
    """The registration of ``email`` (case-insensitive) at ``conference``, FOR UPDATE; its
    ``conference`` is the given (locked) instance."""
    registration = _by_email(email).select_for_update().filter(conference=conference).first()
    if registration is not None:
        registration.conference = conference
    return registration


def _candidate(
    conference: Conference, details: SupplierDetails, *, now: dt.datetime
) -> Registration:
    one_to_one = bool(conference.offers_one_to_one and details.wants_one_to_one)
    return Registration(
        conference=conference,
        organisation_name=details.organisation_name.strip(),
        country=details.country,
        organisation_number=details.organisation_number,
        national_id=details.national_id.strip(),
        contact_name=details.contact_name.strip(),
        email=details.email.strip(),
        phone=details.phone.strip(),
        language=details.language,
        wants_one_to_one=one_to_one,
        one_to_one_topics=details.one_to_one_topics.strip() if one_to_one else "",
        listed_publicly=details.listed_publicly,
        open_to_partnering=details.open_to_partnering,
        privacy_acknowledged_at=now,
    )


def _invalid(error: ValidationError) -> InvalidRegistrationError:
    """The error for details the model refuses, naming every reason; nothing is stored."""
    return InvalidRegistrationError(
        _("The registration could not be saved: %(errors)s") % {"errors": " ".join(error.messages)},
        errors=error,
    )


def _validated(candidate: Registration) -> Registration:
    """The model's own rules (its field validators and ``clean``: DOMAIN.md rules 5 and 6), so
    a command or an import cannot store what the public form refuses. The conference (locked
    and checked by the caller) and the uniqueness of the address (the unique constraint, through
    ``get_or_create``) are checked where the row is written."""
    try:
        candidate.full_clean(
            exclude=["conference"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return candidate


def _field_values(registration: Registration) -> dict[str, object]:
    """The unsaved ``registration``'s values as ``get_or_create`` defaults (as validated, so
    cleaned values such as the organisation number's are the ones stored)."""
    return {
        field.attname: getattr(registration, field.attname)
        for field in Registration._meta.concrete_fields
        if not field.primary_key and field.name != "conference"
    }


def register_supplier(
    *,
    conference_id: int,
    details: SupplierDetails,
    now: dt.datetime | None = None,
) -> RegistrationReceipt:
    """Register a supplier, or, if the address is already registered, change nothing and email
    its owner one more personal link (the earlier links keep working).

    Invariant: one registration per email (case-insensitive) per conference, guarded by the
    constraint ``registration_unique_email_per_conference``. Lock: the conference row FOR SHARE
    (registrations run side by side, but a closing conference cannot slip one in: see
    ``lock_conference_for_share``), read here, so the check and the email use the conference as
    stored; then the registration row FOR UPDATE, or the insert's entry in the unique index.
    ``get_or_create`` on that constraint makes concurrent submissions of one address end in one
    row: a submission that loses the insert reads the winner's row and takes the "already
    registered" path. Both outcomes do nearly the same work (a personal link written, one
    rendered outbox email), so neither the page nor its timing tells whether the address was
    known; someone who merely knows a supplier's address can change nothing of theirs.

    Side effects: a confirmation or "already registered" email, sent after commit. Raises
    ``RegistrationClosedError`` (with the reason) or, for details the model refuses (an invalid
    organisation number, a Norwegian supplier without one) or without the privacy notice
    acknowledged, ``InvalidRegistrationError`` (nothing stored).
    """
    now = now or timezone.now()
    if not details.privacy_acknowledged:
        raise _invalid(
            ValidationError(
                {
                    "privacy_acknowledged_at": _(
                        "Confirm that you have read the privacy notice and the rules."
                    )
                }
            )
        )
    with transaction.atomic():
        conference = _lock_conference_shared(conference_id, with_buyer=True)  # emails show it
        ensure_registration_open(conference=conference, now=now)
        candidate = _validated(_candidate(conference, details, now=now))
        try:
            registration, created = (
                _by_email(candidate.email)
                .select_for_update()
                .get_or_create(conference=conference, defaults=_field_values(candidate))
            )
        except IntegrityError as exc:  # another constraint: nothing is stored
            raise RegistrationError(
                _("The registration could not be saved. Please try again.")
            ) from exc
        registration.conference = conference
        kind = EmailKind.CONFIRMATION if created else EmailKind.ALREADY
        link = issue_entry_link(registration=registration, purpose=kind)
        if created:
            emails.queue_confirmation(registration, link=link)
        else:  # the address is registered: nothing changes, its owner gets one more link
            emails.queue_already_registered(registration, link=link)
    return RegistrationReceipt(registration_id=registration.pk, created=created, token=link.token)


def request_access_link(*, conference_id: int, email: str) -> None:
    """The "resend my link" form: hand the work to a task, so the response and its timing are
    the same whether or not the address is registered (without a broker the task runs once the
    response is sent: dialogkonferanse/common/eager.py). Side effect: one task after commit."""
    request_id = uuid.uuid4().hex  # makes the task idempotent if the broker delivers it twice
    enqueue_on_commit(
        "registrations.send_access_link",
        conference_id=conference_id,
        email=email.strip(),
        request_id=request_id,
    )


def send_access_link(
    *, conference_id: int, email: str, request_id: str = "", now: dt.datetime | None = None
) -> int | None:
    """Email one more personal link to ``email`` if it is registered for the conference.

    Locks the registration row; the earlier links keep working. Unknown addresses get nothing (no
    email to people who never registered). A ``request_id`` already handled is skipped, so a
    task delivered twice sends one link. Returns the registration id or ``None``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        conference = lock_conference_for_share(conference_id, with_buyer=True)  # for the email
        registration = conference and _lock_by_email(conference=conference, email=email)
        if registration is None or registration.anonymised_at is not None:
            return None
        if request_id and emails.access_link_already_sent(registration, request_id=request_id):
            return registration.pk
        link = issue_entry_link(registration=registration, purpose=EmailKind.LINK)
        emails.queue_access_link(registration, link=link, request_id=request_id)
    return registration.pk


def lock_registration(registration_id: int) -> Registration | None:
    """The registration row FOR UPDATE (with conference and buyer), inside the caller's
    transaction; ``None`` if there is none. One supplier's actions then run one at a time,
    in this app and in others."""
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("conference", "conference__buyer")
        .filter(pk=registration_id)
        .first()
    )


def _lock_with_conference(registration_id: int) -> Registration:
    """The conference FOR SHARE, then the registration row FOR UPDATE (with the locked
    conference as its ``conference``): the order of every change that takes both (registering,
    closing the dialogue, the meetings app), so none waits on another in a cycle."""
    conference_id = conference_id_of(registration_id)
    if conference_id is None:
        raise RegistrationError(_("This registration no longer exists."))
    conference = _lock_conference_shared(conference_id, with_buyer=True)
    registration = _lock(registration_id)
    registration.conference = conference
    return registration


def _lock(registration_id: int) -> Registration:
    registration = lock_registration(registration_id)
    if registration is None:
        raise RegistrationError(_("This registration no longer exists."))
    if registration.anonymised_at is not None:
        raise RegistrationError(_("This registration has been anonymised."))
    return registration


def reissue_access_link(
    *, registration_id: int, actor: AbstractBaseUser | None = None, now: dt.datetime | None = None
) -> str:
    """Staff: email the supplier one more personal link (the earlier links keep working).
    Locks the registration row.

    Audited (by ``actor``). Returns the new token for in-process callers (the demo); never
    log or store it.
    """
    with transaction.atomic():
        registration = _lock(registration_id)
        link = issue_entry_link(registration=registration, purpose=EmailKind.LINK)
        email = emails.queue_access_link(registration, link=link)
        if email.status == EmailStatus.FAILED:
            # An address stored before the rule on addresses: staff asked for this email, so
            # they are told, and the new link goes back with it.
            raise RegistrationError(email.last_error)
        record_audit(
            actor=actor,
            action="reissue_link",
            obj=registration,
            changes={},
            note=_("A new personal link was emailed; earlier links keep working."),
        )
    return link.token


def revoke_personal_links(
    *,
    registration_id: int,
    actor: AbstractBaseUser | None = None,
    by_supplier: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Every personal link of the registration and every session opened with any of them
    stop working; no email (the supplier may ask for a new link). Returns how many links were
    revoked.

    Staff (``actor``) or the supplier (``by_supplier``: "sign out everywhere"). Locks the
    registration row; audited, with who did it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = _lock(registration_id)
        before = snapshot(registration)
        revoked = PersonalLink.objects.filter(
            registration=registration, revoked_at__isnull=True
        ).update(revoked_at=now, updated_at=now)
        registration.session_secret = new_session_secret()
        registration.save(update_fields=["session_secret", "updated_at"])
        note = (
            ngettext(
                "The supplier signed out everywhere: %(count)d personal link revoked.",
                "The supplier signed out everywhere: %(count)d personal links revoked.",
                revoked,
            )
            if by_supplier
            else ngettext(
                "Staff revoked all personal links: %(count)d link.",
                "Staff revoked all personal links: %(count)d links.",
                revoked,
            )
        ) % {"count": revoked}
        record_change(
            actor=None if by_supplier else actor,
            action="revoke_links",
            obj=registration,
            before=before,
            note=note,
        )
    return revoked


def update_registration_details(
    *,
    registration_id: int,
    contact_name: str,
    phone: str,
    language: str,
    listed_publicly: bool,
    open_to_partnering: bool,
) -> Registration:
    """The supplier edits contact details, email language and the participant-list choices.

    Locks the registration row. A cancelled registration cannot be edited. The edited fields
    are checked by the model's field validators (``InvalidRegistrationError``, nothing saved).
    """
    edited = {"contact_name", "phone", "language", "listed_publicly", "open_to_partnering"}
    with transaction.atomic():
        registration = _lock(registration_id)
        if registration.cancelled_at is not None:
            raise RegistrationError(_("This registration is cancelled and cannot be changed."))
        registration.contact_name = contact_name.strip()
        registration.phone = phone.strip()
        registration.language = language
        registration.listed_publicly = listed_publicly
        registration.open_to_partnering = open_to_partnering
        try:
            registration.clean_fields(
                exclude=[f.name for f in Registration._meta.fields if f.name not in edited]
            )
        except ValidationError as exc:
            raise _invalid(exc) from exc
        registration.save(
            update_fields=[
                "contact_name",
                "phone",
                "language",
                "listed_publicly",
                "open_to_partnering",
                "updated_at",
            ]
        )
    return registration


def record_one_to_one_wish(registration: Registration, *, topics: str) -> Registration:
    """The supplier asks for a one-to-one meeting after registering, with the topics to raise.

    Call it inside the caller's transaction with the registration row locked
    (``lock_registration``): the meetings app does, after checking its own rules (deadline,
    places, the waiting list). Only an active registration of a conference offering meetings
    may ask; raises ``RegistrationError`` otherwise or for empty topics.
    """
    topics = topics.strip()
    if not registration.is_active:
        raise RegistrationError(_("This registration is cancelled and cannot be changed."))
    if not registration.conference.offers_one_to_one:
        raise RegistrationError(_("This conference does not offer one-to-one meetings."))
    if not topics:
        raise RegistrationError(_("Tell the buyer which topics you want to raise in the meeting."))
    registration.wants_one_to_one = True
    registration.one_to_one_topics = topics
    registration.save(update_fields=["wants_one_to_one", "one_to_one_topics", "updated_at"])
    return registration


def cancel_registration(*, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """Cancel: the registration leaves the participant list and gets no reminders.

    Locks the conference FOR SHARE, then the registration row, so a dialogue being closed at
    the same moment is seen closed; cancelling twice changes nothing.
    In the same transaction ``registration_cancelled`` is sent: the meetings app cancels the
    supplier's one-to-one meeting (METHOD:CANCEL email, slot offered on) and gives up any
    waiting-list place; a receiver that fails rolls the cancellation back. Once the dialogue is
    closed the registration is part of the procurement record and cannot be cancelled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = _lock_with_conference(registration_id)
        if registration.cancelled_at is None and registration.conference.is_closed:
            raise RegistrationClosedError(
                _(
                    "The dialogue is closed: your registration is part of the procurement "
                    "record and can no longer be cancelled. To have your personal data "
                    "removed, write to the buyer."
                )
            )
        if registration.cancelled_at is None:
            registration.cancelled_at = now
            registration.save(update_fields=["cancelled_at", "updated_at"])
            registration_cancelled.send(sender=Registration, registration=registration, now=now)
    return registration


def reinstate_registration(*, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """Undo a cancellation while registration is still open. Locks conference, then registration."""
    now = now or timezone.now()
    with transaction.atomic():
        registration = _lock_with_conference(registration_id)
        ensure_registration_open(conference=registration.conference, now=now)
        if registration.cancelled_at is not None:
            registration.cancelled_at = None
            registration.save(update_fields=["cancelled_at", "updated_at"])
    return registration


REMINDERS = (
    (EmailKind.REMINDER_DAY, dt.timedelta(days=1)),
    (EmailKind.REMINDER_HOUR, dt.timedelta(hours=1)),
)


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue the day-before and hour-before reminders that are due; returns how many.

    Each is keyed per registration and kind in the outbox, so a second run (or two beat
    schedulers) sends nothing again. Only the latest due reminder is sent: someone who
    registers 30 minutes before the start gets neither (the confirmation is fresh), and the
    hour reminder supersedes a day reminder not yet sent.
    """
    now = now or timezone.now()
    queued = 0
    for conference in conferences_starting_between(start=now, end=now + dt.timedelta(days=1)):
        for kind, lead in REMINDERS:
            due_from = conference.starts_at - lead
            if now < due_from:
                continue
            if kind == EmailKind.REMINDER_DAY and now >= conference.starts_at - REMINDERS[1][1]:
                continue
            for registration in registrations_due_reminder(
                conference=conference, kind=kind, created_before=due_from
            ).iterator(chunk_size=200):
                with transaction.atomic():
                    # Read again under the row lock: a supplier who cancelled since the list
                    # was read gets nothing, and no link is issued in the middle of a "sign out
                    # everywhere" (whose revocation would then miss it).
                    locked = lock_registration(registration.pk)
                    if locked is None or not locked.is_active:
                        continue
                    if emails.queue_reminder(locked, kind=kind) is not None:
                        queued += 1
    return queued
