"""Template helpers of the meetings app: plain-text Oslo times for emails, the weekday headings
of the time picker, and the supplier's meeting status as every page and email words it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dialogkonferanse.common.timefmt import oslo_day_text, oslo_short_span, times_note
from registrations.models import Registration

from ..choices import SupplierMeetingState
from ..selectors import SupplierMeetingStatus, meeting_status_for

register = template.Library()


# ``lørdag 19. desember 2026 kl. 13.00\u201313.30`` for subjects and text bodies.
register.filter("meeting_span_text", oslo_short_span)
# The email's one line about the offset: ``Alle tider er norsk tid (UTC+1).``
register.simple_tag(times_note, name="oslo_times_note")


def _weekday_text(day: dt.date) -> str:
    """``lørdag 19. desember`` in Norwegian, ``Saturday 19 December`` in English."""
    return oslo_day_text(day)


@register.filter
def weekday_date(day: dt.date | None) -> SafeString | str:
    """A day heading of the time picker, as a ``<time>`` element."""
    if not day:
        return ""
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), _weekday_text(day))


@register.simple_tag
def meeting_status(
    registration: Registration, *, just_registered: bool = False
) -> SupplierMeetingStatus:
    """``{% meeting_status registration as meeting_status %}``: the one status of the supplier's
    meeting (``meetings.selectors.meeting_status_for``). Read once per registration instance and
    wish: an email renders its text and HTML bodies from the same instance. The registration
    confirmation passes ``just_registered=True`` (see ``meeting_status_for``)."""
    key = (registration.wants_one_to_one, registration.cancelled_at)
    memo = registration.__dict__.get("_meeting_status_memo")
    if memo is None or memo[0] != key:
        memo = (key, meeting_status_for(registration, just_registered=just_registered))
        registration.__dict__["_meeting_status_memo"] = memo
    return memo[1]


@register.filter
def meeting_status_text(status: SupplierMeetingStatus | None) -> str:
    """One sentence for the status, the same on the personal page and in every email."""
    if status is None:
        return ""
    state = SupplierMeetingState(status.state)
    deadline = oslo_short_span(status.deadline, None)
    meeting = status.meeting
    when = oslo_short_span(meeting.slot.starts_at, meeting.slot.ends_at) if meeting else ""
    if state == SupplierMeetingState.NOT_REQUESTED:
        if status.can_request:
            return _("Not requested. You can still ask for a meeting until %(deadline)s.") % {
                "deadline": deadline
            }
        return _("Not requested.")
    if state == SupplierMeetingState.NOT_PUBLISHED:
        return _(
            "Requested. The buyer has not published the meeting times yet; your meeting page "
            "will show them."
        )
    if state == SupplierMeetingState.AWAITING_ALLOCATION:
        return _(
            "Requested. The buyer allocates the times: you will get an email with your time "
            "and the meeting link."
        )
    if state == SupplierMeetingState.BOOKING_OPEN:
        return _("Requested. Choose your time on your meeting page before %(deadline)s.") % {
            "deadline": deadline
        }
    if state == SupplierMeetingState.WAITING_LIST:
        return _(
            "Requested. You are on the waiting list: we will email you if a time becomes free."
        )
    if state == SupplierMeetingState.OFFERED and status.offer is not None:
        return _("A time is held for you until %(until)s: accept it on your meeting page.") % {
            "until": oslo_short_span(status.offer.offer_expires_at, None)
        }
    if state == SupplierMeetingState.BOOKED:
        return _("Booked: %(when)s.") % {"when": when}
    if state == SupplierMeetingState.HELD:
        return _("Held: %(when)s.") % {"when": when}
    if state == SupplierMeetingState.CANCELLED:
        text = _("Your meeting at %(when)s was cancelled.") % {"when": when}
        if status.can_book:
            text += " " + _("You can choose another time on your meeting page.")
        return text
    if state == SupplierMeetingState.BOOKING_CLOSED:
        return _("Requested, but booking has closed without a meeting.")
    return ""


@register.inclusion_tag("meetings/_personal_status_box.html")
def personal_meeting_status(
    registration: Registration, status: SupplierMeetingStatus | None = None
) -> dict[str, Any]:
    """The one-to-one box for the personal page, from the one status."""
    status = status or meeting_status_for(registration)
    quiet = status.state == SupplierMeetingState.NOT_REQUESTED and not status.can_request
    return {
        "show": status.shown and not quiet,
        "conference": registration.conference,
        "status": status,
    }
