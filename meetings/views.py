"""The supplier's meeting page (behind the personal link's session) and the staff overview.

The registration always comes from the session (``registrations.access``); a time from the
form is checked by the service against that registration's conference, and the service picks
the team. Booking, moving and cancelling each show a confirmation step first (a GET that
writes nothing); only the POST from that step acts. Nothing here takes a
registration or meeting id from the request, so supplier A cannot act for supplier B.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conferences.models import Conference
from dialogkonferanse.common.timefmt import oslo_short_span
from registrations.access import personal_link_required

from .choices import SupplierMeetingState
from .exceptions import MeetingError
from .forms import MeetingRequestForm, TimeChoiceForm
from .ics import meeting_download
from .selectors import (
    free_time_at,
    free_times,
    get_meeting_settings,
    meeting_for_registration,
    meeting_status_for,
)
from .selectors import (
    staff_overview as overview_plan,
)
from .services import (
    book_time,
    cancel_meeting,
    change_meeting_time,
    join_waiting_list,
    request_meeting,
)

View = Callable[..., HttpResponse]


def supplier_page(view: View) -> View:
    """The supplier from the session (``personal_link_required``: 403 with the "resend my
    link" page otherwise); 404 where the conference offers no one-to-one meetings.

    Nothing caches it. The referrer policy stays the site's ``same-origin``: no Referer leaves
    for the video provider, while the browser still sends a real ``Origin`` with the forms
    (under ``no-referrer`` it sends ``Origin: null``, which Django's CSRF check refuses).
    """

    @personal_link_required
    @wraps(view)
    def one_to_one(request: HttpRequest, registration: Any, *args: Any, **kwargs: Any) -> Any:
        if not registration.conference.offers_one_to_one:
            raise Http404("No one-to-one meetings here.")
        return view(request, registration, *args, **kwargs)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = one_to_one(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapper)


def _back(registration: Any, *, anchor: str = "") -> HttpResponse:
    url = reverse("meetings:booking", kwargs={"slug": registration.conference.slug})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _page_context(registration: Any, **extra: Any) -> dict[str, Any]:
    conference = registration.conference
    return {
        "registration": registration,
        "conference": conference,
        "footer_buyer": conference.buyer,
        **extra,
    }


def _chosen_time(request: HttpRequest) -> dt.datetime | None:
    form = TimeChoiceForm(request.POST if request.method == "POST" else request.GET)
    return form.cleaned_data["time"] if form.is_valid() else None


@supplier_page
@require_GET
def booking(request: HttpRequest, registration: Any) -> HttpResponse:
    """The meeting status and, where the supplier may book or move, the free times: each time
    once under its weekday, whatever the number of teams. Choosing one leads to a confirmation
    step (a GET form: nothing is written until the supplier confirms)."""
    conference = registration.conference
    now = timezone.now()
    status = meeting_status_for(registration, now=now)
    meeting_settings = get_meeting_settings(conference_id=conference.pk)
    days = []
    picking = status.state == SupplierMeetingState.BOOKING_OPEN or (
        status.state == SupplierMeetingState.CANCELLED and status.can_book
    )
    if picking or status.can_change:
        days = free_times(
            conference_id=conference.pk,
            registration_id=registration.pk,
            now=now,
            exclude=status.meeting.slot.starts_at if status.can_change else None,
        )
    context = _page_context(
        registration,
        status=status,
        meeting_settings=meeting_settings,
        meeting=status.meeting if status.state in _WITH_MEETING else None,
        days=days,
        picking=picking,
        first_time=days[0].times[0] if days else None,
    )
    return render(request, "meetings/booking.html", context)


_WITH_MEETING = (SupplierMeetingState.BOOKED, SupplierMeetingState.HELD)


def _confirm_page(
    request: HttpRequest, registration: Any, *, action: str, chosen: Any = None, **extra: Any
) -> HttpResponse:
    context = _page_context(registration, action=action, chosen=chosen, **extra)
    return render(request, "meetings/confirm.html", context)


def _confirmed(
    request: HttpRequest, registration: Any, write: Callable[[], Any], success: str
) -> HttpResponse:
    """The confirmed POST of a booking or a move: run the service, then say what happened
    (``success`` names the meeting's new time as ``%(when)s``) or why not."""
    try:
        meeting = write()
    except MeetingError as exc:
        messages.error(request, str(exc))
        return _back(registration, anchor="slots-heading")
    when = oslo_short_span(meeting.slot.starts_at, meeting.slot.ends_at)
    messages.success(request, success % {"when": when})
    return _back(registration)


@supplier_page
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, registration: Any) -> HttpResponse:
    """GET: the chosen time with "Confirm booking" and "Choose another time". POST: book it
    (the service assigns a free team at that time, under lock)."""
    starts_at = _chosen_time(request)
    if starts_at is None:
        messages.error(request, _("Choose a time."))
        return _back(registration, anchor="slots-heading")
    if request.method == "POST":
        return _confirmed(
            request,
            registration,
            lambda: book_time(registration_id=registration.pk, starts_at=starts_at),
            _("Your meeting is booked for %(when)s. We have emailed you a calendar invitation."),
        )
    now = timezone.now()
    status = meeting_status_for(registration, now=now)
    if not status.can_book:
        messages.error(request, _("You cannot book a meeting now."))
        return _back(registration)
    chosen = free_time_at(
        conference_id=registration.conference_id,
        registration_id=registration.pk,
        starts_at=starts_at,
        now=now,
    )
    if chosen is None:
        return _taken(request, registration)
    return _confirm_page(request, registration, action="book", chosen=chosen)


def _taken(request: HttpRequest, registration: Any) -> HttpResponse:
    """Back to the picker: the chosen time has no free team any more."""
    messages.error(request, _("That time was just taken. Please choose another."))
    return _back(registration, anchor="slots-heading")


@supplier_page
@require_http_methods(["GET", "POST"])
def change(request: HttpRequest, registration: Any) -> HttpResponse:
    """GET: the current and the chosen time with "Confirm move". POST: move the meeting."""
    starts_at = _chosen_time(request)
    if starts_at is None:
        messages.error(request, _("Choose a time."))
        return _back(registration, anchor="slots-heading")
    if request.method == "POST":
        return _confirmed(
            request,
            registration,
            lambda: change_meeting_time(registration_id=registration.pk, starts_at=starts_at),
            _(
                "Your meeting is moved to %(when)s. We have emailed you the updated calendar "
                "invitation."
            ),
        )
    now = timezone.now()
    status = meeting_status_for(registration, now=now)
    if not status.can_change or status.meeting is None:
        messages.error(request, _("You have no meeting to change."))
        return _back(registration)
    if status.meeting.slot.starts_at == starts_at:
        messages.error(request, _("Your meeting is already at that time."))
        return _back(registration, anchor="slots-heading")
    chosen = free_time_at(
        conference_id=registration.conference_id,
        registration_id=registration.pk,
        starts_at=starts_at,
        now=now,
    )
    if chosen is None:
        return _taken(request, registration)
    return _confirm_page(
        request, registration, action="change", chosen=chosen, meeting=status.meeting
    )


@supplier_page
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, registration: Any) -> HttpResponse:
    """GET: "Cancel your meeting?" with the time. POST: cancel it."""
    if request.method == "POST":
        try:
            cancel_meeting(registration_id=registration.pk)
        except MeetingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _(
                    "Your meeting is cancelled. We have emailed you a cancellation that removes "
                    "it from your calendar."
                ),
            )
        return _back(registration)
    status = meeting_status_for(registration)
    if not status.can_change or status.meeting is None:
        messages.error(request, _("You have no meeting to cancel."))
        return _back(registration)
    return _confirm_page(request, registration, action="cancel", meeting=status.meeting)


@supplier_page
@require_http_methods(["GET", "POST"])
def request_meeting_view(request: HttpRequest, registration: Any) -> HttpResponse:
    """A registered supplier asks for a meeting: the topics, then "Ask for a meeting"."""
    status = meeting_status_for(registration)
    if not status.can_request:
        if status.state == SupplierMeetingState.NOT_REQUESTED:
            messages.error(request, _("Meetings can no longer be asked for."))
        return _back(registration)
    form = MeetingRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_meeting(registration_id=registration.pk, topics=form.cleaned_data["topics"])
        except MeetingError as exc:
            messages.error(request, str(exc))
            return _back(registration)
        messages.success(request, _("We have your request for a one-to-one meeting."))
        return _back(registration)
    meeting_settings = get_meeting_settings(conference_id=registration.conference_id)
    return render(
        request,
        "meetings/request.html",
        _page_context(registration, form=form, status=status, meeting_settings=meeting_settings),
    )


@supplier_page
@require_POST
def join_waiting(request: HttpRequest, registration: Any) -> HttpResponse:
    try:
        join_waiting_list(registration_id=registration.pk)
    except MeetingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("You are on the waiting list. We will email you if a time becomes free.")
        )
    return _back(registration)


@supplier_page
@require_GET
def calendar(request: HttpRequest, registration: Any) -> HttpResponse:
    meeting = meeting_for_registration(registration_id=registration.pk)
    if meeting is None:
        raise Http404("No meeting booked.")
    meeting_settings = get_meeting_settings(conference_id=meeting.conference_id)
    response = HttpResponse(
        meeting_download(meeting, agenda=meeting_settings.agenda if meeting_settings else ""),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="meeting.ics"'
    return response


@staff_member_required
@permission_required("meetings.view_meeting", raise_exception=True)
@require_GET
def staff_overview(request: HttpRequest, slug: str) -> HttpResponse:
    """Every day's meetings per team, for screen and print (print stylesheet, no scripts)."""
    conference = get_object_or_404(Conference.objects.select_related("buyer"), slug=slug)
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "meeting_settings": get_meeting_settings(conference_id=conference.pk),
        "days": overview_plan(conference_id=conference.pk),
    }
    return render(request, "meetings/staff_overview.html", context)
