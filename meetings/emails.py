"""The emails of the meetings app, queued in the shared outbox (``dialogkonferanse.outbox.queue``).

Call each inside the transaction of the change that causes it; the outbox sends after commit.
Idempotency keys carry the meeting's sequence, so every version is sent once and only once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise, SimpleLazyObject

from dialogkonferanse.common.translations import resolve
from dialogkonferanse.outbox.queue import Attachment, queue_email
from registrations.entry_links import EntryLink, issue_entry_link
from registrations.models import Registration

from .choices import EmailKind
from .ics import CANCEL_MIMETYPE, REQUEST_MIMETYPE, meeting_cancellation, meeting_request
from .models import Meeting, MeetingSettings, WaitingListEntry
from .selectors import meeting_status_for


def booking_page_url(conference_slug: str) -> str:
    return settings.SITE_URL + reverse("meetings:booking", kwargs={"slug": conference_slug})


def _agenda(conference_id: int) -> MeetingSettings | None:
    return MeetingSettings.objects.filter(conference_id=conference_id).first()


def _queue(
    *,
    meeting_or_entry: Meeting | WaitingListEntry | Registration,
    kind: EmailKind,
    template: str,
    key: str,
    context: dict[str, Any],
    attachments: tuple[Attachment, ...] = (),
    link: EntryLink | None = None,
) -> Any:
    if isinstance(meeting_or_entry, Registration):
        registration, conference = meeting_or_entry, meeting_or_entry.conference
    else:
        registration, conference = meeting_or_entry.registration, meeting_or_entry.conference
        registration.conference = conference  # loaded with the buyer; the status reads it
    # The email's own personal link to the meeting page: it opens on any device.
    link = link or _entry_link(registration, kind=kind)
    full = {
        "registration": registration,
        "booking_url": link.url,
        "personal_url": link.url_for("personal"),  # the same link, to the personal page
        # What the supplier may do next, as their pages say it: read after the change, and
        # only by the templates that show it.
        "meeting_status": SimpleLazyObject(lambda: meeting_status_for(registration)),
        **context,
    }
    return queue_email(
        kind=kind.value,
        to=registration.email,
        language=registration.language,
        template=template,
        context=full,
        idempotency_key=key,
        attachments=attachments,
        conference=conference,
        registration=registration,
        reply_to=conference.contact_email,
        secrets=[link.token],
    )


def _entry_link(registration: Registration, *, kind: EmailKind) -> EntryLink:
    return issue_entry_link(registration=registration, purpose=kind, target="meeting")


def queue_invitation(meeting: Meeting, *, agenda: MeetingSettings | None = None) -> Any:
    """The meeting time with a METHOD:REQUEST invite; a changed meeting gets "changed" wording.

    The agenda is in the supplier's language, or in Bokmål with a note where that is missing
    (``agenda``: the conference's meeting setup, read here when not given).
    """
    source = _agenda(meeting.conference_id) if agenda is None else agenda
    resolved = (
        resolve(source, "agenda", meeting.registration.language) if source is not None else None
    )
    ics_agenda = ""
    if resolved is not None and resolved.text:
        ics_agenda = f"{resolved.text}\n[{resolved.note}]" if resolved.fallback else resolved.text
    changed = meeting.sequence > 0
    kind = EmailKind.UPDATE if changed else EmailKind.INVITE
    link = _entry_link(meeting.registration, kind=kind)
    return _queue(
        meeting_or_entry=meeting,
        kind=kind,
        template="meeting_invite",
        key=f"meeting:{meeting.pk}:request:{meeting.sequence}",
        context={
            "meeting": meeting,
            "agenda": ics_agenda,
            "agenda_source": source,
            "changed": changed,
        },
        attachments=(
            Attachment(
                filename="meeting.ics",
                content=meeting_request(meeting, agenda=ics_agenda, page_url=link.url),
                mimetype=REQUEST_MIMETYPE,
            ),
        ),
        link=link,
    )


def queue_cancellation(meeting: Meeting, *, reason: str | Promise = "", rebook: bool = True) -> Any:
    """METHOD:CANCEL, so the supplier's calendar drops the event. A lazy ``reason`` is given in
    the supplier's language; ``rebook=False`` leaves out the invitation to book another time."""
    link = _entry_link(meeting.registration, kind=EmailKind.CANCEL)
    return _queue(
        meeting_or_entry=meeting,
        kind=EmailKind.CANCEL,
        template="meeting_cancelled",
        key=f"meeting:{meeting.pk}:cancel:{meeting.sequence}",
        context={"meeting": meeting, "reason": reason, "rebook": rebook},
        attachments=(
            Attachment(
                filename="meeting.ics",
                content=meeting_cancellation(meeting, page_url=link.url),
                mimetype=CANCEL_MIMETYPE,
            ),
        ),
        link=link,
    )


def queue_reminder(meeting: Meeting, *, kind: EmailKind) -> Any:
    """The day-before or hour-before reminder; once per meeting, kind and version."""
    return _queue(
        meeting_or_entry=meeting,
        kind=kind,
        template="meeting_reminder",
        key=f"meeting:{meeting.pk}:{kind.value}:{meeting.sequence}",
        context={"meeting": meeting, "reminder_hour": kind == EmailKind.REMINDER_HOUR},
    )


def queue_offer(entry: WaitingListEntry) -> Any:
    """A freed slot, held for the first on the waiting list until ``offer_expires_at``."""
    if entry.offered_slot is None or entry.offered_at is None:
        raise ValueError("Only an entry holding an offer can be emailed one.")
    return _queue(
        meeting_or_entry=entry,
        kind=EmailKind.OFFER,
        template="meeting_offer",
        key=f"waiting:{entry.pk}:offer:{entry.offered_slot_id}:{entry.offered_at.timestamp()}",
        context={"entry": entry, "slot": entry.offered_slot},
    )


def queue_request_received(registration: Registration, *, now: dt.datetime) -> Any:
    """The supplier asked for a meeting after registering: what happens next (choose a time,
    wait for the buyer's allocation, or the waiting list). Once per registration."""
    return _queue(
        meeting_or_entry=registration,
        kind=EmailKind.REQUEST,
        template="meeting_requested",
        key=f"registration:{registration.pk}:meeting-request",
        context={"requested_at": now},
    )
