"""Everything that writes conferences."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogkonferanse.audit.log import record_change, snapshot
from dialogkonferanse.common.translations import translated_fields

from ..choices import (
    ALLOWED_TRANSITIONS,
    SETTLES_REMAINING_MEETINGS,
    ConferenceStatus,
    RemainingMeetings,
)
from ..exceptions import ConferenceError
from ..models import Conference, NoticeReference, StatusChange
from ..signals import conference_status_changed
from ..validators import validate_notice_reference


def next_statuses(status: str) -> tuple[ConferenceStatus, ...]:
    """The lifecycle steps staff may take from ``status``, in the order they are offered: the
    same table ``transition_conference`` checks under its lock (DOMAIN.md rule 1)."""
    return tuple(ConferenceStatus(s) for s in ALLOWED_TRANSITIONS[ConferenceStatus(status)])


def can_transition(*, from_status: str, to_status: str) -> bool:
    """Whether ``to_status`` is a valid next step from ``from_status`` (unknown values: no)."""
    if from_status not in ConferenceStatus.values or to_status not in ConferenceStatus.values:
        return False
    return ConferenceStatus(to_status) in next_statuses(from_status)


def transition_conference(
    *,
    conference_id: int,
    to_status: str,
    actor: AbstractBaseUser | None,
    notice_reference: str = "",
    remaining_meetings: str = "",
) -> Conference:
    """Move a conference one lifecycle step (DOMAIN.md rule 1) and record who did it.

    Locks the conference row, re-checks the transition against the locked state and validates
    the conference. Closing needs the competition's notice reference, which is linked to the
    conference. The step is appended to the audit log. Raises ``ConferenceError``.

    Moving to follow-up or closing settles the booked meetings not yet held:
    ``remaining_meetings`` is staff's decision (``RemainingMeetings``), required when any
    remain; closing allows only ``CANCEL``. The apps above are told through
    ``conference_status_changed``, sent inside this transaction: a receiver that refuses (or
    fails) leaves the conference as it was.
    """
    to_status = ConferenceStatus(to_status)
    decision = _remaining_meetings_decision(remaining_meetings, to_status=to_status)
    with transaction.atomic():
        conference = Conference.objects.select_for_update().get(pk=conference_id)
        before = snapshot(conference)
        from_status = ConferenceStatus(conference.status)
        if not can_transition(from_status=from_status, to_status=to_status):
            raise ConferenceError(
                _("A conference cannot go from “%(from)s” to “%(to)s”.")
                % {"from": from_status.label, "to": to_status.label}
            )
        try:
            # The per-language columns are validated (Bokmål required); the plain columns
            # they replace are not (forms never write them, so they may stay empty).
            conference.full_clean(exclude=translated_fields(Conference))
        except ValidationError as exc:
            raise ConferenceError(
                _("Correct the conference before changing its status: %(errors)s")
                % {"errors": " ".join(exc.messages)}
            ) from exc
        reference = notice_reference.strip()
        if to_status == ConferenceStatus.CLOSED:
            if not reference:
                raise ConferenceError(
                    _("Enter the competition's notice reference to close the dialogue.")
                )
            try:
                validate_notice_reference(reference)
            except ValidationError as exc:
                raise ConferenceError(" ".join(exc.messages)) from exc
            NoticeReference.objects.get_or_create(
                conference=conference,
                reference=reference,
                defaults={"note": _("Competition notice (dialogue closed)")},
            )
            conference.closed_at = timezone.now()
        now = timezone.now()
        conference.status = to_status
        conference.status_changed_at = now
        conference.save(update_fields=["status", "status_changed_at", "closed_at", "updated_at"])
        StatusChange.objects.create(
            conference=conference,
            from_status=from_status,
            to_status=to_status,
            changed_at=now,
            changed_by=actor,
            notice_reference=reference if to_status == ConferenceStatus.CLOSED else "",
        )
        record_change(
            actor=actor,
            action="transition",
            obj=conference,
            before=before,
            note=reference if to_status == ConferenceStatus.CLOSED else "",
        )
        conference_status_changed.send(
            sender=Conference,
            conference=conference,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            remaining_meetings=decision,
            now=now,
        )
    return conference


def _remaining_meetings_decision(value: str, *, to_status: ConferenceStatus) -> str:
    """The decision as a ``RemainingMeetings`` value (or ``""``), refused where it cannot apply."""
    if not value:
        return ""
    if value not in RemainingMeetings.values or to_status not in SETTLES_REMAINING_MEETINGS:
        raise ConferenceError(_("That is not a decision this status change can take."))
    if to_status == ConferenceStatus.CLOSED and value == RemainingMeetings.KEEP:
        raise ConferenceError(
            _(
                "Meetings cannot be kept when the dialogue closes: once the competition is "
                "announced, no one-to-one meeting may be held. Cancel them, or hold them "
                "during the follow-up before closing."
            )
        )
    return RemainingMeetings(value)


SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at"})
LIFECYCLE_FIELDS = ("status", "status_changed_at", "closed_at")


def save_conference(
    *, conference: Conference, changed_fields: set[str] | frozenset[str], is_new: bool
) -> Conference:
    """Save staff's edits to a conference.

    Locks the row and keeps its lifecycle fields as they are in the database: a status change
    made by someone else while this form was open is never written back. A changed start or end
    bumps the calendar SEQUENCE so calendar programs replace the event (RFC 5545 3.8.7.4).
    """
    with transaction.atomic():
        if not is_new:
            current = (
                Conference.objects.select_for_update()
                .only(*LIFECYCLE_FIELDS, "calendar_sequence")
                .get(pk=conference.pk)
            )
            for field in LIFECYCLE_FIELDS:
                setattr(conference, field, getattr(current, field))
            conference.calendar_sequence = current.calendar_sequence + (
                1 if SCHEDULE_FIELDS & set(changed_fields) else 0
            )
        conference.save()
    return conference


def lock_conference_for_share(conference_id: int, *, with_buyer: bool = False) -> Conference | None:
    """Read the conference (``with_buyer``: and its buyer, one more query) under a share lock,
    inside the caller's transaction; ``None`` when there is no such conference.

    Registrations, questions and votes take it side by side; a status change
    (``transition_conference`` takes FOR UPDATE) waits for them, and they for it, so nothing
    slips in after the dialogue closes, and what they read is the conference as stored.
    """
    # A real design, not a shortcut: FOR SHARE rather than ``select_for_update()``. Many
    # registrations, questions and votes of one conference run at the same moment and must not
    # wait for each other; only a status change must wait for them (and they for it). Django
    # has no FOR SHARE, hence one raw query. SQLite (the embedded default) has no row locks and
    # serialises writers anyway.
    table = connection.ops.quote_name(Conference._meta.db_table)
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    queryset = Conference.objects.raw(
        f"SELECT * FROM {table} WHERE id = %s{lock}",  # noqa: S608 - identifier from metadata
        [conference_id],
    )
    if with_buyer:
        queryset = queryset.prefetch_related("buyer")
    return next(iter(queryset), None)
