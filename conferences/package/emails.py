"""The archive email: with the first published recording of a conference, every active
registrant gets the link to the information package once (the idempotency key is per
conference and registration), through the outbox in the publishing transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from dialogkonferanse.outbox.queue import queue_email
from qa.selectors import attended_registration_ids
from registrations.entry_links import issue_entry_link
from registrations.selectors import active_registrations

from ..choices import ConferenceStatus
from ..models import Conference

ARCHIVE_EMAIL_KIND = "conference_archive"
ARCHIVE_MISSED_EMAIL_KIND = "conference_archive_missed"
_LIVE_OR_LATER = (ConferenceStatus.LIVE, ConferenceStatus.FOLLOW_UP, ConferenceStatus.CLOSED)


def archive_email_key(*, conference_id: int, registration_id: int) -> str:
    return f"conference-archive:{conference_id}:{registration_id}"


def queue_archive_emails(*, conference: Conference) -> int:
    """Email every active registrant the link to the information package, once each.

    Call inside the transaction that publishes the first recording (the caller holds the
    conference row lock). Registrants who did not watch the conference live get the version
    that says what they missed; before the conference has been live, everyone gets the plain
    version. Returns the number of emails queued.
    """
    archive_url = settings.SITE_URL + reverse(
        "conferences:package", kwargs={"slug": conference.slug}
    )
    held = conference.status in _LIVE_OR_LATER
    attended = attended_registration_ids(conference_id=conference.pk) if held else set()
    count = 0
    registrations = active_registrations(conference_id=conference.pk).order_by("pk")
    for registration in registrations.iterator(chunk_size=500):
        missed = held and registration.pk not in attended
        kind = ARCHIVE_MISSED_EMAIL_KIND if missed else ARCHIVE_EMAIL_KIND
        # The email's own personal link to the registration, opening on any device.
        registration.conference = conference  # read for the link's expiry: no query per row
        link = issue_entry_link(registration=registration, purpose=kind)
        queue_email(
            kind=kind,
            to=registration.email,
            language=registration.language,
            template="conference_archive_missed" if missed else "conference_archive",
            context={
                "registration": registration,
                "archive_url": archive_url,
                "personal_url": link.url,
            },
            idempotency_key=archive_email_key(
                conference_id=conference.pk, registration_id=registration.pk
            ),
            conference=conference,
            registration=registration,
            reply_to=conference.contact_email,
            secrets=[link.token],
        )
        count += 1
    return count
