"""Reads of conferences reused by several views."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import AgendaItem, Conference


def public_conferences() -> QuerySet[Conference]:
    return Conference.objects.public().select_related("buyer")


def upcoming_and_past_conferences(
    now: dt.datetime | None = None,
) -> tuple[list[Conference], list[Conference]]:
    """Public conferences split by whether they have ended; upcoming soonest first."""
    now = now or timezone.now()
    upcoming = list(public_conferences().filter(ends_at__gte=now).order_by("starts_at"))
    past = list(public_conferences().filter(ends_at__lt=now).order_by("-starts_at"))
    return upcoming, past


def can_preview_drafts(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perm("conferences.view_conference")
    )


def get_conference_for_viewer(
    *,
    slug: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    with_programme: bool = True,
) -> Conference:
    """The conference at ``slug`` with its buyer (and, ``with_programme``, agenda and notices).

    The public sees only published conferences; staff with view permission may preview drafts.
    Raises ``Http404`` otherwise.
    """
    queryset = Conference.objects.select_related("buyer")
    if with_programme:
        queryset = queryset.prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("starts_at", "pk")),
            "notice_references",
        )
    if not can_preview_drafts(user):
        queryset = queryset.public()
    try:
        return queryset.get(slug=slug)
    except Conference.DoesNotExist:
        raise Http404("No such conference.") from None
