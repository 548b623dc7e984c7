from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from registrations.selectors import public_participants

from .ics import conference_ics
from .selectors import get_conference_for_viewer, upcoming_and_past_conferences


def conference_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = upcoming_and_past_conferences()
    return render(request, "conferences/list.html", {"upcoming": upcoming, "past": past})


def conference_detail(request: HttpRequest, slug: str) -> HttpResponse:
    conference = get_conference_for_viewer(slug=slug, user=request.user)
    now = timezone.now()
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "agenda": conference.agenda_items.all(),
        "notices": conference.notice_references.all(),
        "registration_open": conference.registration_is_open(now),
        "registration_not_yet_open": conference.registration_not_yet_open(now),
        "has_ended": conference.ends_at <= now,
        "participants": public_participants(conference=conference),
    }
    return render(request, "conferences/detail.html", context)


def conference_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    conference = get_conference_for_viewer(slug=slug, user=request.user)
    response = HttpResponse(conference_ics(conference), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{conference.slug}.ics"'
    return response
