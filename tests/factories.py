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
        user_model.objects.create_superuser(password="pw-for-tests-123", **values)  # noqa: S106
        if superuser
        else user_model.objects.create_user(password="pw-for-tests-123", **values)  # noqa: S106
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
