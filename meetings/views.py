"""The supplier's meeting page (behind the personal link's session) and the staff overview.

The registration always comes from the session (``registrations.access``); a slot id from the
form is checked by the service against that registration's conference. Nothing here takes a
registration or meeting id from the request, so supplier A cannot act for supplier B.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from conferences.models import Conference
from registrations.access import personal_link_required

from .choices import AllocationMode, WaitingStatus
from .exceptions import MeetingError
from .forms import SlotChoiceForm
from .ics import meeting_download
from .selectors import (
    free_slots,
    get_meeting_settings,
    meeting_for_registration,
    waiting_entry_for_registration,
)
from .selectors import (
    staff_overview as overview_plan,
)
from .services import book_slot, cancel_meeting, change_meeting, join_waiting_list

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


def _back(registration: Any) -> HttpResponse:
    return redirect("meetings:booking", slug=registration.conference.slug)


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> None:
    try:
        action()
    except MeetingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)


@supplier_page
@require_GET
def booking(request: HttpRequest, registration: Any) -> HttpResponse:
    conference = registration.conference
    meeting_settings = get_meeting_settings(conference_id=conference.pk)
    meeting = meeting_for_registration(registration_id=registration.pk)
    waiting = waiting_entry_for_registration(registration_id=registration.pk)
    now = timezone.now()
    open_for_changes = bool(
        meeting_settings
        and now < meeting_settings.booking_deadline
        and registration.is_active
        and registration.wants_one_to_one
        and not conference.is_closed
    )
    self_service = bool(
        meeting_settings and meeting_settings.allocation_mode == AllocationMode.SELF_SERVICE
    )
    days: OrderedDict[Any, list[Any]] = OrderedDict()
    if open_for_changes and self_service:
        for slot in free_slots(
            conference_id=conference.pk, registration_id=registration.pk, now=now
        ):
            days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    offer = waiting if waiting and waiting.status == WaitingStatus.OFFERED else None
    context = {
        "registration": registration,
        "conference": conference,
        "footer_buyer": conference.buyer,
        "meeting_settings": meeting_settings,
        "meeting": meeting,
        "waiting": waiting,
        "offer": offer if offer and offer.offer_expires_at > now else None,
        "days": days,
        "open_for_changes": open_for_changes,
        "self_service": self_service,
    }
    return render(request, "meetings/booking.html", context)


@supplier_page
@require_POST
def book(request: HttpRequest, registration: Any) -> HttpResponse:
    form = SlotChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a time."))
    else:
        _run(
            request,
            lambda: book_slot(registration_id=registration.pk, slot_id=form.cleaned_data["slot"]),
            _("Your meeting is booked. We have emailed you a calendar invitation."),
        )
    return _back(registration)


@supplier_page
@require_POST
def change(request: HttpRequest, registration: Any) -> HttpResponse:
    form = SlotChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a time."))
    else:
        _run(
            request,
            lambda: change_meeting(
                registration_id=registration.pk, to_slot_id=form.cleaned_data["slot"]
            ),
            _("Your meeting has a new time. We have emailed you the updated invitation."),
        )
    return _back(registration)


@supplier_page
@require_POST
def cancel(request: HttpRequest, registration: Any) -> HttpResponse:
    _run(
        request,
        lambda: cancel_meeting(registration_id=registration.pk),
        _("Your meeting is cancelled."),
    )
    return _back(registration)


@supplier_page
@require_POST
def join_waiting(request: HttpRequest, registration: Any) -> HttpResponse:
    _run(
        request,
        lambda: join_waiting_list(registration_id=registration.pk),
        _("You are on the waiting list. We will email you if a time becomes free."),
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
