"""Calendar files for one-to-one meetings, built with the one ICS builder.

One UID per meeting for its whole life; SEQUENCE is the meeting's ``sequence``, raised on every
change, so calendar programs replace (REQUEST) or remove (CANCEL) the event they already hold.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dialogkonferanse.common.ics import IcsEvent, build_calendar

from .models import Meeting

# No charset parameter: Django adds one to text/* parts, and a second one breaks some clients.
REQUEST_MIMETYPE = "text/calendar; method=REQUEST"
CANCEL_MIMETYPE = "text/calendar; method=CANCEL"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.uid}@dialogkonferanse"


def _description(meeting: Meeting, agenda: str, page_url: str = "") -> str:
    parts = [
        _("One-to-one meeting with %(buyer)s about “%(conference)s”.")
        % {"buyer": meeting.conference.buyer.name, "conference": meeting.conference.title}
    ]
    if meeting.video_url:
        parts.append(_("Join the video meeting: %(url)s") % {"url": meeting.video_url})
    if agenda:
        parts.append(_("Agenda (the same for every supplier):") + "\n" + agenda)
    if page_url:
        parts.append(
            _("See, change or cancel your meeting (a personal link, do not share it): %(url)s")
            % {"url": page_url}
        )
    return "\n\n".join(parts)


def meeting_event(
    meeting: Meeting, *, agenda: str = "", cancelled: bool = False, page_url: str = ""
) -> IcsEvent:
    """The meeting as one VEVENT in the supplier's language. ``page_url``, the email's personal
    link to the meeting page, goes in the description and, without a video link, as URL."""
    conference = meeting.conference
    registration = meeting.registration
    with translation.override(registration.language or settings.LANGUAGE_CODE):
        return IcsEvent(
            uid=meeting_uid(meeting),
            summary=_("One-to-one meeting: %(conference)s") % {"conference": conference.title},
            starts_at=meeting.slot.starts_at,
            ends_at=meeting.slot.ends_at,
            description=_description(meeting, agenda, page_url),
            location=meeting.video_url,
            url=meeting.video_url or page_url,
            sequence=meeting.sequence,
            status="CANCELLED" if cancelled else "CONFIRMED",
            organizer_email=conference.contact_email,
            organizer_name=conference.buyer.name,
            attendees=[(registration.email, registration.contact_name)],
            stamp=timezone.now(),
        )


def meeting_request(meeting: Meeting, *, agenda: str = "", page_url: str = "") -> bytes:
    """METHOD:REQUEST: the invitation, and every later change of it."""
    return build_calendar(
        [meeting_event(meeting, agenda=agenda, page_url=page_url)], method="REQUEST"
    )


def meeting_cancellation(meeting: Meeting, *, agenda: str = "", page_url: str = "") -> bytes:
    """METHOD:CANCEL with STATUS:CANCELLED; the caller has already raised the sequence."""
    return build_calendar(
        [meeting_event(meeting, agenda=agenda, cancelled=True, page_url=page_url)],
        method="CANCEL",
    )


def meeting_download(meeting: Meeting, *, agenda: str = "") -> bytes:
    """The ``.ics`` download on the supplier's meeting page (METHOD:PUBLISH)."""
    return build_calendar([meeting_event(meeting, agenda=agenda)], method="PUBLISH")
