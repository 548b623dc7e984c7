"""Reads of conferences reused by several views. The public record built on them (archive,
information package, its files) is read in ``conferences.package.selectors``."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from .choices import PUBLIC_STATUSES, ConferenceStatus
from .models import AgendaItem, Clarification, Conference, Document, Recording


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


def live_conference_slugs() -> list[str]:
    """Slugs of the public conferences staff have set live, for the "live now" badges."""
    return sorted(
        Conference.objects.public()
        .filter(status=ConferenceStatus.LIVE)
        .values_list("slug", flat=True)
    )


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
    """The conference at ``slug`` with its buyer (and, ``with_programme``, agenda, notices and
    whether it has published material), in one query plus one per prefetched relation.

    The public sees only published conferences; staff with view permission may preview drafts.
    Raises ``Http404`` otherwise.
    """
    queryset = Conference.objects.select_related("buyer").filter(slug=slug)
    if not can_preview_drafts(user):
        queryset = queryset.filter(status__in=PUBLIC_STATUSES)
    if with_programme:
        queryset = queryset.annotate(
            published_material=ExpressionWrapper(_published_material(), output_field=BooleanField())
        ).prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("starts_at", "pk")),
            "notice_references",
        )
    conference = queryset.first()
    if conference is None:
        raise Http404("No such conference.")
    return conference


def public_conference_for_registration(*, slug: str) -> Conference:
    """The published conference at ``slug`` with its buyer (no programme): what the
    registration pages show. The registration itself reads the conference again under a lock,
    so a change made after this read is never written over. Raises ``Http404``."""
    return get_conference_for_viewer(slug=slug, user=None, with_programme=False)


def _published_material() -> Q:
    """True when a recording, document or clarification of the outer conference is published."""
    condition = Q()
    for model in (Recording, Document, Clarification):
        condition |= Exists(
            model.objects.filter(conference=OuterRef("pk"), published_at__isnull=False)
        )
    return condition


def has_published_material(*, conference: Conference) -> bool:
    """Whether any recording, document or clarification of the conference is published
    (already known, without a query, when the conference came from
    ``get_conference_for_viewer`` with its programme)."""
    known = getattr(conference, "published_material", None)
    if known is not None:
        return known
    return Conference.objects.filter(_published_material(), pk=conference.pk).exists()
