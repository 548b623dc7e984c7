"""The staff overview of a conference: the conference dashboard page and the summary on the
admin home.

The counting lives in each app's ``counts`` module (grouped queries: the number of queries does
not grow with registrations, questions, emails or conferences); this entry point composes them.
Staff who may view conferences *and* registrations see it (procurement staff); a moderator,
who may view a conference but not who registered, does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.common.admin_mixins import admin_pages
from dialogkonferanse.common.charts import day_columns, horizontal_bars
from dialogkonferanse.common.timefmt import oslo_day_text, oslo_text
from dialogkonferanse.outbox.counts import email_counts, failed_emails
from meetings.counts import MeetingCounts, meeting_counts
from qa.choices import QuestionStatus
from qa.counts import attendance_counts, question_counts
from qa.live import viewers_now
from registrations.choices import Country, Language
from registrations.counts import (
    RegistrationTotals,
    registration_totals,
    registrations_by,
    registrations_per_day,
)

from ..choices import ConferenceStatus
from ..models import Conference

# Conferences the admin home summarises: registration open, on air, or in follow-up.
CURRENT_STATUSES = (ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE, ConferenceStatus.FOLLOW_UP)
INDEX_LIMIT = 10


def can_view_dashboard(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Procurement staff: may view conferences and the registrations (who signed up)."""
    return bool(
        user.is_active
        and user.is_staff
        and (
            user.has_perm("conferences.view_conference")
            or user.has_perm("conferences.change_conference")
        )
        and user.has_perm("registrations.view_registration")
    )


@dataclass
class ConferenceOverview:
    conference: Conference
    registrations: RegistrationTotals
    meetings: MeetingCounts
    questions: dict[str, int]
    emails: dict[str, int]
    attended: int
    viewers_now: int | None  # None: not live, or not measurable (no Redis)
    viewers_known: bool = True
    dashboard_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.dashboard_url = reverse(
            "admin:conferences_conference_dashboard", args=[self.conference.pk]
        )

    @property
    def is_live(self) -> bool:
        return self.conference.status == ConferenceStatus.LIVE

    @property
    def questions_waiting(self) -> int:
        return self.questions.get(QuestionStatus.AWAITING, 0)

    @property
    def questions_published(self) -> int:
        return self.questions.get(QuestionStatus.PUBLISHED, 0)

    @property
    def questions_answered(self) -> int:
        return self.questions.get(QuestionStatus.ANSWERED, 0)

    @property
    def emails_queued(self) -> int:
        return self.emails.get(EmailStatus.QUEUED, 0) + self.emails.get(EmailStatus.SENDING, 0)

    @property
    def emails_sent(self) -> int:
        return self.emails.get(EmailStatus.SENT, 0)

    @property
    def emails_failed(self) -> int:
        return self.emails.get(EmailStatus.FAILED, 0)


def build_overviews(conferences: Sequence[Conference]) -> list[ConferenceOverview]:
    """The key figures of each conference: five grouped queries for any number of conferences
    (and Redis for the live ones)."""
    ids = [c.pk for c in conferences]
    registrations = registration_totals(conference_ids=ids)
    meetings = meeting_counts(conference_ids=ids)
    questions = question_counts(conference_ids=ids)
    emails = email_counts(conference_ids=ids)
    attended = attendance_counts(conference_ids=ids)
    live_ids = [c.pk for c in conferences if c.status == ConferenceStatus.LIVE]
    viewers = viewers_now(conference_ids=live_ids) if live_ids else {}
    return [
        ConferenceOverview(
            conference=c,
            registrations=registrations.get(c.pk, RegistrationTotals()),
            meetings=meetings.get(c.pk, MeetingCounts()),
            questions=questions.get(c.pk, {}),
            emails=emails.get(c.pk, {}),
            attended=attended.get(c.pk, 0),
            viewers_now=(viewers or {}).get(c.pk) if c.pk in live_ids else None,
            viewers_known=viewers is not None,
        )
        for c in conferences
    ]


def current_conferences() -> list[Conference]:
    """The conferences the admin home summarises, the soonest first (one query)."""
    return list(
        Conference.objects.filter(status__in=CURRENT_STATUSES)
        .select_related("buyer")
        .order_by("starts_at", "pk")[:INDEX_LIMIT]
    )


def _labelled(items: list[tuple[str, int]], choices: Any) -> list[tuple[str, int]]:
    labels = dict(choices.choices)
    return [(str(labels.get(code, code)), count) for code, count in items]


def _chart(items: list[tuple[str, int]]) -> dict[str, Any]:
    return {"rows": items, "chart": horizontal_bars(items), "total": sum(v for _, v in items)}


def dashboard_context(conference: Conference, *, user: Any) -> dict[str, Any]:
    """Everything the dashboard page shows: the key figures and the charts' data (nine
    queries however many registrations, questions or emails)."""
    [overview] = build_overviews([conference])
    per_day = registrations_per_day(conference_id=conference.pk)
    by_country = _labelled(registrations_by(conference_id=conference.pk, field="country"), Country)
    by_language = _labelled(
        registrations_by(conference_id=conference.pk, field="language"), Language
    )
    meetings = overview.meetings
    meeting_rows = [
        (gettext("Asked for a meeting"), overview.registrations.meeting_wishes),
        (gettext("Slots"), meetings.slots),
        (gettext("Booked"), meetings.booked),
        (gettext("Free slots"), meetings.free),
        (gettext("Waiting list"), meetings.waiting),
        (gettext("Holding an offered slot"), meetings.offered),
    ]
    question_rows = [
        (str(label), overview.questions.get(value, 0)) for value, label in QuestionStatus.choices
    ]
    email_rows = [
        (str(label), overview.emails.get(value, 0)) for value, label in EmailStatus.choices
    ]
    busiest = max(per_day, key=lambda item: item[1]) if per_day else None
    can_see_emails = user.has_perm("dialogkonferanse.view_outboundemail")
    return {
        "overview": overview,
        "per_day": per_day,
        "per_day_rows": [(oslo_day_text(day), count) for day, count in per_day],
        "per_day_chart": day_columns(per_day) if per_day else None,
        "per_day_first": oslo_day_text(per_day[0][0]) if per_day else "",
        "per_day_last": oslo_day_text(per_day[-1][0]) if per_day else "",
        "per_day_summary": _per_day_summary(per_day, busiest),
        "by_country": _chart(by_country),
        "by_language": _chart(by_language),
        "meetings": _chart(meeting_rows),
        "questions": _chart(question_rows),
        "emails": _chart(email_rows),
        "can_see_emails": can_see_emails,
        "failed_emails": failed_emails(conference_id=conference.pk) if can_see_emails else [],
        "can_retry": user.has_perm("dialogkonferanse.change_outboundemail"),
        "failed_list_url": (
            reverse("admin:dialogkonferanse_outboundemail_changelist")
            + f"?status__exact={EmailStatus.FAILED}&conference__id__exact={conference.pk}"
        ),
        "as_of": oslo_text(timezone.now()),
    }


def _per_day_summary(per_day: list[tuple[Any, int]], busiest: tuple[Any, int] | None) -> str:
    if not per_day or busiest is None:
        return gettext("No registrations yet.")
    total = sum(count for _, count in per_day)
    days = len(per_day)
    text = ngettext(
        "%(total)d registration over %(days)d day",
        "%(total)d registrations over %(days)d days",
        total,
    ) % {"total": total, "days": days}
    return gettext("%(text)s, from %(first)s to %(last)s; the busiest day was %(day)s (%(n)d).") % {
        "text": text,
        "first": oslo_day_text(per_day[0][0]),
        "last": oslo_day_text(per_day[-1][0]),
        "day": oslo_day_text(busiest[0]),
        "n": busiest[1],
    }


class ConferenceDashboardMixin:
    """Adds the dashboard page to the conference admin: ``<id>/dashboard/``."""

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(self, ("<int:object_id>/dashboard/", self.dashboard_view, "dashboard")),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def dashboard_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        model_admin: ModelAdmin = self  # type: ignore[assignment]
        conference = get_object_or_404(Conference.objects.select_related("buyer"), pk=object_id)
        if not (
            can_view_dashboard(request.user)
            and model_admin.has_view_permission(request, conference)
        ):
            raise PermissionDenied
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": Conference._meta,
            "original": conference,
            "conference": conference,
            "change_url": reverse("admin:conferences_conference_change", args=[conference.pk]),
            "title": gettext("Overview of “%(title)s”") % {"title": conference.title},
            **dashboard_context(conference, user=request.user),
        }
        return TemplateResponse(request, "admin/conferences/conference/dashboard.html", context)
