"""Every email that leads to a personal page carries a personal link that works in a fresh
browser (another device) and opens the page the email is about; the calendar invites carry it
too; the outbox's record (bodies, attachments) never holds the token."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy

import pytest
from django.test import Client
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from conferences.package.emails import queue_archive_emails
from dialogkonferanse.models import OutboundAttachment, OutboundEmail
from meetings import emails as meeting_emails
from meetings.choices import EmailKind as MeetingEmailKind
from meetings.models import Meeting, Slot, WaitingListEntry
from meetings.services import generate_slots
from qa.models import Answer
from qa.services import send_answer_digest
from registrations import emails as registration_emails
from registrations.choices import EmailKind
from registrations.services import register_supplier, send_access_link
from tests.factories import make_meeting_settings, make_question, make_registration
from tests.registrations.test_services import _details

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"http://127\.0\.0\.1:8000(/r/([A-Za-z0-9_-]{43})/(?:stream/|meeting/)?)")


def _sent_text(row: OutboundEmail) -> tuple[str, list[bytes]]:
    """The plain text and the attachments of the message as it will be sent."""
    message = email.message_from_bytes(bytes(row.mime), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    return text, [part.get_payload(decode=True) for part in message.iter_attachments()]


def _links(row: OutboundEmail) -> list[tuple[str, str]]:
    text, _ = _sent_text(row)
    return LINK_RE.findall(text)


def _assert_opens(row: OutboundEmail, landing: str) -> str:
    """The email's link for ``landing`` signs a fresh browser in and leads there; the record
    kept in the outbox holds no token. Returns the token."""
    links = _links(row)
    assert links, row.body_text
    target = landing.removeprefix("/me/fyrdialog/")  # "", "stream/" or "meeting/"
    [(path, token)] = [(p, t) for p, t in links if p == f"/r/{t}/{target}"]
    browser = Client(headers={"accept-language": "en"})
    response = browser.get(path)
    assert (response.status_code, response["Location"]) == (302, landing)
    slug = landing.split("/")[2]
    assert browser.get(f"/me/{slug}/").status_code == 200
    stored = OutboundEmail.objects.get(pk=row.pk)
    for kept in (stored.subject, stored.body_text, stored.body_html):
        assert token not in kept
    assert "/r/[…]/" in stored.body_text
    for attachment in OutboundAttachment.objects.filter(email=stored):
        assert token.encode() not in bytes(attachment.content).replace(b"\r\n ", b"")
    return token


def _unfolded(ics: bytes) -> str:
    return ics.replace(b"\r\n ", b"").decode()


# --- Registrations ----------------------------------------------------------------------------


def test_confirmation_carries_links_to_the_personal_and_stream_pages(conference):
    register_supplier(conference_id=conference.pk, details=_details(language="en"))

    row = OutboundEmail.objects.get(kind=EmailKind.CONFIRMATION)

    token = _assert_opens(row, "/me/fyrdialog/")
    _assert_opens(row, "/me/fyrdialog/stream/")
    _, [invite] = _sent_text(row)
    assert f"URL:http://127.0.0.1:8000/r/{token}/stream/" in _unfolded(invite)


def test_already_registered_email_carries_a_working_link(conference):
    register_supplier(conference_id=conference.pk, details=_details(language="en"))
    register_supplier(conference_id=conference.pk, details=_details(language="en"))

    _assert_opens(OutboundEmail.objects.get(kind=EmailKind.ALREADY), "/me/fyrdialog/")


def test_new_link_email_carries_a_working_link(conference):
    registration = make_registration(conference=conference, language="en")
    send_access_link(conference_id=conference.pk, email=registration.email)

    _assert_opens(OutboundEmail.objects.get(kind=EmailKind.LINK), "/me/fyrdialog/")


@pytest.mark.parametrize("kind", [EmailKind.REMINDER_DAY, EmailKind.REMINDER_HOUR])
def test_reminders_carry_a_link_to_the_stream_page(conference, kind):
    registration = make_registration(conference=conference, language="en")

    registration_emails.queue_reminder(registration, kind=kind)
    registration_emails.queue_reminder(registration, kind=kind)  # already queued: no second link

    _assert_opens(OutboundEmail.objects.get(kind=kind), "/me/fyrdialog/stream/")
    assert registration.personal_links.count() == 1


# --- Meetings ---------------------------------------------------------------------------------


@pytest.fixture
def meeting(conference):
    make_meeting_settings(conference=conference)
    generate_slots(conference_id=conference.pk)
    registration = make_registration(conference=conference, language="en", wants_one_to_one=True)
    slot = Slot.objects.filter(conference=conference).order_by("starts_at").first()
    return Meeting.objects.create(conference=conference, slot=slot, registration=registration)


def test_meeting_invite_and_its_calendar_file_carry_a_link_to_the_meeting_page(meeting):
    meeting_emails.queue_invitation(meeting)

    row = OutboundEmail.objects.get(kind=MeetingEmailKind.INVITE)
    token = _assert_opens(row, "/me/fyrdialog/meeting/")
    _, [invite] = _sent_text(row)
    ics = _unfolded(invite)
    assert f"URL:http://127.0.0.1:8000/r/{token}/meeting/" in ics  # no video link yet
    assert f"/r/{token}/meeting/" in ics.split("DESCRIPTION:", 1)[1].split("\r\n", 1)[0]


def test_meeting_change_and_cancellation_carry_a_link_to_the_meeting_page(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(sequence=1)
    meeting.refresh_from_db()

    meeting_emails.queue_invitation(meeting)
    meeting_emails.queue_cancellation(meeting)

    _assert_opens(OutboundEmail.objects.get(kind=MeetingEmailKind.UPDATE), "/me/fyrdialog/meeting/")
    cancel = OutboundEmail.objects.get(kind=MeetingEmailKind.CANCEL)
    # The meeting was never booked through the services, so no other time is offered: the
    # email links to the personal page instead; the calendar file to the meeting page.
    token = _assert_opens(cancel, "/me/fyrdialog/")
    _, [ics] = _sent_text(cancel)
    assert f"/r/{token}/meeting/" in _unfolded(ics)


@pytest.mark.parametrize("kind", [MeetingEmailKind.REMINDER_DAY, MeetingEmailKind.REMINDER_HOUR])
def test_meeting_reminders_carry_a_link_to_the_meeting_page(meeting, kind):
    meeting_emails.queue_reminder(meeting, kind=kind)

    _assert_opens(OutboundEmail.objects.get(kind=kind), "/me/fyrdialog/meeting/")


def test_waiting_list_offer_carries_a_link_to_the_meeting_page(meeting):
    registration = make_registration(
        conference=meeting.conference, language="en", wants_one_to_one=True
    )
    slot = Slot.objects.filter(conference=meeting.conference).exclude(pk=meeting.slot_id).first()
    now = timezone.now()
    entry = WaitingListEntry.objects.create(
        conference=meeting.conference,
        registration=registration,
        position=1,
        offered_slot=slot,
        offered_at=now,
        offer_expires_at=now + dt.timedelta(hours=12),
    )

    meeting_emails.queue_offer(entry)

    _assert_opens(OutboundEmail.objects.get(kind=MeetingEmailKind.OFFER), "/me/fyrdialog/meeting/")


# --- The information package and the written answers ----------------------------------------


@pytest.mark.parametrize("held", [False, True])
def test_archive_email_carries_a_link_to_the_personal_page(conference, held):
    make_registration(conference=conference, language="en")
    if held:
        Conference.objects.filter(pk=conference.pk).update(status=ConferenceStatus.FOLLOW_UP)
        conference.refresh_from_db()

    assert queue_archive_emails(conference=conference) == 1

    _assert_opens(OutboundEmail.objects.get(), "/me/fyrdialog/")


def test_answer_digest_carries_a_link_to_the_personal_page(conference):
    registration = make_registration(conference=conference, language="en")
    question = make_question(registration=registration, status="answered", text="Pris?")
    Answer.objects.create(question=question, text="Fastpris.", published_at=timezone.now())
    Conference.objects.filter(pk=conference.pk).update(status=ConferenceStatus.FOLLOW_UP)

    send_answer_digest(conference_id=conference.pk, moderator=None)

    _assert_opens(OutboundEmail.objects.get(kind="qa_answer_digest"), "/me/fyrdialog/")
