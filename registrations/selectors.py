"""Reads of registrations; everything reached through a token or a session goes through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from conferences.choices import ConferenceStatus
from conferences.models import Conference

from .choices import Country
from .expiry import retention_ends_at
from .models import PersonalLink, Registration
from .tokens import MAX_TOKEN_LENGTH, hash_token


def _with_conference() -> QuerySet[Registration]:
    return Registration.objects.select_related("conference", "conference__buyer")


def conference_id_of(registration_id: int) -> int | None:
    """The registration's conference, read without a lock: what a service needs to lock the
    conference before the registration (the order every change takes them in)."""
    return (
        Registration.objects.filter(pk=registration_id)
        .values_list("conference_id", flat=True)
        .first()
    )


def get_personal_link(*, token: str) -> PersonalLink | None:
    """The personal link whose token is ``token``, with its registration and conference, or
    ``None``; whether it still works is ``link_works``.

    The lookup is by SHA-256, so the database never compares the secret itself; the final
    comparison is constant-time.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(token)
    link = (
        PersonalLink.objects.select_related(
            "registration", "registration__conference", "registration__conference__buyer"
        )
        .filter(token_hash=digest)
        .first()
    )
    if link is None or not constant_time_compare(link.token_hash, digest):
        return None
    return link


def link_works(link: PersonalLink, *, now: dt.datetime | None = None) -> bool:
    """Whether ``link`` (with its registration and conference loaded) still opens the pages:
    not revoked, not expired, within the conference's retention, registration not anonymised."""
    now = now or timezone.now()
    registration = link.registration
    ends = retention_ends_at(registration.conference)
    return (
        link.revoked_at is None
        and registration.anonymised_at is None
        and (link.expires_at is None or now < link.expires_at)
        and (ends is None or now < ends)
    )


def get_registration_by_token(*, token: str) -> Registration | None:
    """The registration that ``token`` opens now (a working link), or ``None``."""
    link = get_personal_link(token=token)
    if link is None or not link_works(link):
        return None
    return link.registration


def get_registration_for_access(
    *, registration_id: int, session_secret: str, conference_slug: str
) -> Registration | None:
    """The registration a session was given by a personal link, while that access stands.

    ``registration_id`` and ``session_secret`` come from the session (set when a link was
    opened); the page's conference must match. Revoking the links (staff, or the supplier
    signing out everywhere) or anonymisation replaces the secret and ends the session; a newly
    issued link does not.
    """
    registration = (
        _with_conference()
        .filter(
            pk=registration_id,
            conference__slug=conference_slug,
            anonymised_at__isnull=True,
        )
        .first()
    )
    if registration is None or not constant_time_compare(
        registration.session_secret, session_secret
    ):
        return None
    return registration


@dataclass(frozen=True)
class PublicParticipant:
    """What the public participant list shows: the company, never a person."""

    organisation_name: str
    country: str
    country_label: str
    open_to_partnering: bool


def public_participants(*, conference: Conference) -> list[PublicParticipant]:
    """Active registrations of ``conference`` that opted in to the public list, by name."""
    rows = (
        Registration.objects.filter(
            conference=conference,
            listed_publicly=True,
            cancelled_at__isnull=True,
            anonymised_at__isnull=True,
        )
        .order_by("organisation_name", "pk")
        .values_list("organisation_name", "country", "open_to_partnering")
    )
    return [
        PublicParticipant(
            organisation_name=name,
            country=country,
            country_label=str(Country(country).label) if country in Country.values else country,
            open_to_partnering=partnering,
        )
        for name, country, partnering in rows
    ]


def active_registrations(*, conference_id: int) -> QuerySet[Registration]:
    return Registration.objects.filter(
        conference_id=conference_id, cancelled_at__isnull=True, anonymised_at__isnull=True
    )


def registrations_due_reminder(
    *, conference: Conference, kind: str, created_before: dt.datetime
) -> QuerySet[Registration]:
    """Active registrations that have not yet been sent an email of ``kind``, by id only: the
    service reads each again under its row lock (``lock_registration``).

    Those registered after ``created_before`` are skipped: their confirmation is recent enough.
    The outbox's idempotency key is what guarantees once-only; this only avoids needless work.
    """
    return (
        active_registrations(conference_id=conference.pk)
        .filter(created_at__lt=created_before)
        .exclude(emails__kind=kind)
        .only("pk")
        .order_by("pk")
    )


def conferences_starting_between(*, start: dt.datetime, end: dt.datetime) -> QuerySet[Conference]:
    """Conferences still running towards their start whose start lies in ``(start, end]``."""
    return Conference.objects.filter(
        status__in=(ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE),
        starts_at__gt=start,
        starts_at__lte=end,
    ).select_related("buyer")


def registrations_for_report(*, conference_id: int) -> QuerySet[Registration]:
    """Every registration of the conference (cancelled and anonymised too), for the dialogue
    report: the company-level facts stay after anonymisation, so the counts do too."""
    return Registration.objects.filter(conference_id=conference_id).order_by(
        "organisation_name", "created_at", "pk"
    )
