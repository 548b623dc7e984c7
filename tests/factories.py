"""Small factory functions for test data: sensible defaults, override what a test cares about."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import AgendaItem, BuyerOrganisation, Conference
from dialogkonferanse.roles import MODERATOR, PROCUREMENT_STAFF, sync_roles

OSLO = ZoneInfo("Europe/Oslo")
_seq = itertools.count(1)


def make_buyer(**overrides: Any) -> BuyerOrganisation:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Etat {n}",
        "accessibility_statement_url": f"https://uustatus.example/etat-{n}",
        "contact_email": f"innkjop{n}@etat.example",
    }
    values.update(overrides)
    return BuyerOrganisation.objects.create(**values)


def make_conference(
    *, status: str = ConferenceStatus.PUBLISHED, agenda_items: int = 0, **overrides: Any
) -> Conference:
    n = next(_seq)
    starts = overrides.pop(
        "starts_at", (timezone.now() + dt.timedelta(days=10)).replace(microsecond=0)
    )
    values: dict[str, Any] = {
        "title": f"Dialogkonferanse {n}",
        "slug": f"dialogkonferanse-{n}",
        "summary": "Vi vil høre fra markedet.",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=3),
        "registration_opens_at": timezone.now() - dt.timedelta(days=1),
        "registration_closes_at": starts - dt.timedelta(hours=1),
        "contact_email": f"konferanse{n}@etat.example",
        "status": status,
    }
    values.update(overrides)
    if "buyer" not in values:
        values["buyer"] = make_buyer()
    conference = Conference.objects.create(**values)
    AgendaItem.objects.bulk_create(
        AgendaItem(
            conference=conference,
            starts_at=conference.starts_at + dt.timedelta(minutes=5 * i),
            ends_at=conference.starts_at + dt.timedelta(minutes=5 * i + 5),
            title=f"Punkt {i + 1}",
            speaker=f"Taler {i + 1}",
        )
        for i in range(agenda_items)
    )
    return conference


def make_user(*, group: str | None = None, superuser: bool = False, **overrides: Any):
    n = next(_seq)
    values: dict[str, Any] = {"username": f"user{n}", "is_staff": group is not None or superuser}
    values.update(overrides)
    user_model = get_user_model()
    user = (
        user_model.objects.create_superuser(password="pw-for-tests-123", **values)
        if superuser
        else user_model.objects.create_user(password="pw-for-tests-123", **values)
    )
    if group:
        if not Group.objects.filter(name=group).exists():
            # A transactional test before this one flushed the tables the migration filled.
            sync_roles(django_apps)
        user.groups.add(Group.objects.get(name=group))
    return user


def make_staff(**overrides: Any):
    return make_user(group=PROCUREMENT_STAFF, **overrides)


def make_moderator(**overrides: Any):
    return make_user(group=MODERATOR, **overrides)


def make_registration(*, conference: Conference | None = None, token: str = "", **overrides: Any):
    """A registration (no email sent). ``token`` gives it a personal link with that token."""
    from registrations.models import PersonalLink, Registration
    from registrations.tokens import hash_token

    n = next(_seq)
    values: dict[str, Any] = {
        "conference": conference or make_conference(),
        "organisation_name": f"Leverandør {n} AS",
        "country": "NO",
        "organisation_number": "974760673",
        "contact_name": f"Kontakt {n}",
        "email": f"kontakt{n}@leverandor.example",
        "language": "nb",
        "privacy_acknowledged_at": timezone.now(),
    }
    values.update(overrides)
    registration = Registration.objects.create(**values)
    if token:
        PersonalLink.objects.create(
            registration=registration, token_hash=hash_token(token), purpose="test"
        )
    return registration


def make_personal_link(registration: Any, *, token: str, **overrides: Any):
    """One more personal link of ``registration``, with that token."""
    from registrations.models import PersonalLink
    from registrations.tokens import hash_token

    values: dict[str, Any] = {"purpose": "test", **overrides}
    return PersonalLink.objects.create(
        registration=registration, token_hash=hash_token(token), **values
    )


# --- Meetings (meetings/) -------------------------------------------------------------------


def make_meeting_settings(
    *,
    conference: Conference | None = None,
    teams: int = 1,
    windows: list[tuple[dt.date, dt.time, dt.time]] | None = None,
    **overrides: Any,
):
    """A meeting setup with ``teams`` teams and the given Oslo windows (no slots generated).

    Default: one window 10:00-12:00 Oslo time, five days from now.
    """
    from meetings.models import MeetingSettings, MeetingWindow, Team

    conference = conference or make_conference(offers_one_to_one=True)
    values: dict[str, Any] = {
        "conference": conference,
        "slot_minutes": 30,
        "buffer_minutes": 10,
        "agenda": "1. Presentasjon av leverandøren\n2. Spørsmål fra innkjøper",
        "booking_deadline": timezone.now() + dt.timedelta(days=3),
    }
    values.update(overrides)
    settings_row = MeetingSettings.objects.create(**values)
    if windows is None:
        day = (timezone.now() + dt.timedelta(days=5)).astimezone(OSLO).date()
        windows = [(day, dt.time(10, 0), dt.time(12, 0))]
    MeetingWindow.objects.bulk_create(
        MeetingWindow(meeting_settings=settings_row, date=d, start_time=s, end_time=e)
        for d, s, e in windows
    )
    Team.objects.bulk_create(
        Team(meeting_settings=settings_row, name=f"Team {chr(65 + i)}") for i in range(teams)
    )
    return settings_row


def make_slot(*, team=None, starts_at: dt.datetime | None = None, minutes: int = 30, **overrides):
    """A slot inserted directly (no generation), by default tomorrow at 10:00 Oslo time."""
    from meetings.models import Slot

    team = team or make_meeting_settings().teams.first()
    starts = starts_at or dt.datetime.combine(
        (timezone.now() + dt.timedelta(days=1)).astimezone(OSLO).date(), dt.time(10), tzinfo=OSLO
    )
    values: dict[str, Any] = {
        "conference_id": team.meeting_settings.conference_id,
        "team": team,
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(minutes=minutes),
    }
    values.update(overrides)
    return Slot.objects.create(**values)


# --- Q&A (qa/) ------------------------------------------------------------------------------


def make_question(
    *, registration=None, conference=None, status: str = "awaiting", **overrides: Any
):
    """A question (no live event, no email). Published/answered ones get ``published_at``."""
    from qa.models import Question

    if registration is None:
        registration = make_registration(conference=conference)
    text = overrides.pop("text", f"Spørsmål {next(_seq)}?")
    values: dict[str, Any] = {
        "conference": registration.conference,
        "registration": registration,
        "text": text,
        "original_text": text,
        "status": status,
    }
    if status in ("published", "answered"):
        values["published_at"] = timezone.now()
    if status == "rejected":
        values["rejection_reason"] = "Utenfor tema."
    values.update(overrides)
    return Question.objects.create(**values)
