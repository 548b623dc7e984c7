"""End to end through a real Celery worker (Redis) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dialogkonferanse.models import OutboundEmail
from registrations.models import Registration
from registrations.services import SupplierDetails, register_supplier
from registrations.tasks import send_due_reminders_task
from tests.factories import make_buyer, make_conference, make_registration

pytestmark = pytest.mark.django_db(transaction=True)

LINK_RE = re.compile(r"https?://[^/\s]+(/r/[A-Za-z0-9_-]+/)")


def _english_client() -> Client:
    return Client(headers={"accept-language": "en"})


def _link_path(message) -> str:
    """The email's personal link (``/r/<token>/``); its link to the stream page has the same
    token, so there is one path."""
    text = message.get_body(("plain",)).get_content()
    [path] = set(LINK_RE.findall(text))
    return path


@pytest.fixture
def conference():
    buyer = make_buyer(name="Kystverket", email_signature="Med vennlig hilsen\nKystverket")
    return make_conference(buyer=buyer, title="Fyrdialog", slug="fyrdialog", offers_one_to_one=True)


def test_register_happy_path_email_link_opens_personal_page(
    conference, form_data, smtp_server, celery_worker
):
    client = _english_client()

    client.post(
        reverse("registrations:register", kwargs={"slug": "fyrdialog"}),
        form_data(language="en"),
    )

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "kari@fjordsensor.example"
    assert message["Subject"] == "You are registered: Fyrdialog"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "One-to-one meeting: Requested." in text  # the one meeting status
    assert "You will get an email with the time" not in text
    token_path = _link_path(message)
    assert f"http://127.0.0.1:8000{token_path}stream/" in text
    assert "All times are Norwegian time (UTC+" in text  # the offset once per email
    assert "(UTC+01:00)" not in text
    assert "Med vennlig hilsen\nKystverket" in text
    [invite] = list(message.iter_attachments())
    assert (invite.get_content_type(), invite.get_param("method")) == ("text/calendar", "REQUEST")
    ics = invite.get_content().replace("\r\n ", "")  # unfolded
    assert "METHOD:REQUEST" in ics
    assert f"LOCATION:http://127.0.0.1:8000{token_path}stream/" in ics
    browser = _english_client()
    opened = browser.get(token_path, follow=True)
    assert opened.redirect_chain == [("/me/fyrdialog/", 302)]
    assert "Fjordsensor AS" in opened.content.decode()
    # The calendar event's link opens the stream page, on any device.
    stream = _english_client().get(f"{token_path}stream/")
    assert (stream.status_code, stream["Location"]) == (302, "/me/fyrdialog/stream/")


def test_register_duplicate_sends_already_registered_with_working_link(
    conference, form_data, smtp_server, celery_worker
):
    client = _english_client()
    url = reverse("registrations:register", kwargs={"slug": "fyrdialog"})
    client.post(url, form_data(language="en"))
    smtp_server.wait_for(1)

    client.post(url, form_data(email="Kari@Fjordsensor.example", language="nb"))

    first, second = smtp_server.wait_for(2)
    assert second["Subject"] == "You are already registered: Fyrdialog"
    assert second["To"] == "kari@fjordsensor.example"
    assert Registration.objects.count() == 1
    # Nothing changed: the first link still works, and the second one too.
    assert _english_client().get(_link_path(first)).status_code == 302
    assert _english_client().get(_link_path(second)).status_code == 302
    text = second.get_body(("plain",)).get_content()
    assert "the links we sent you earlier keep working" in text
    assert "no longer work" not in text


def test_resend_known_address_gets_new_link_unknown_gets_nothing(
    conference, smtp_server, celery_worker
):
    make_registration(conference=conference, email="kjent@example.no", language="en")
    client = _english_client()
    url = reverse("registrations:resend", kwargs={"slug": "fyrdialog"})

    client.post(url, {"email": "ukjent@example.no"})
    client.post(url, {"email": "KJENT@example.no"})

    [message] = smtp_server.wait_for(1)
    time.sleep(1.0)  # the unknown address was handled first; give a stray email time to land
    assert len(smtp_server.messages) == 1
    assert message["To"] == "kjent@example.no"
    assert message["Subject"] == "Your personal link: Fyrdialog"
    assert _english_client().get(_link_path(message)).status_code == 302


def test_register_rolled_back_sends_nothing(conference, smtp_server, celery_worker):
    class Boom(Exception):
        pass

    def register_then_fail() -> None:
        with transaction.atomic():
            register_supplier(
                conference_id=conference.pk,
                details=SupplierDetails(
                    privacy_acknowledged=True,
                    organisation_name="Fjordsensor AS",
                    contact_name="Kari",
                    email="kari@fjordsensor.example",
                    organisation_number="974760673",
                ),
            )
            raise Boom

    with pytest.raises(Boom):
        register_then_fail()

    time.sleep(1.5)
    assert smtp_server.messages == []
    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)


def test_reminder_task_twice_delivers_each_reminder_once(smtp_server, celery_worker):
    starts = (timezone.now() + dt.timedelta(minutes=30)).replace(microsecond=0)
    conference = make_conference(
        title="Fyrdialog",
        starts_at=starts,
        registration_opens_at=starts - dt.timedelta(days=5),
        registration_closes_at=starts,
    )
    make_registration(conference=conference, email="a@example.no", language="en")
    make_registration(conference=conference, email="b@example.no", language="en")
    Registration.objects.update(created_at=timezone.now() - dt.timedelta(days=2))

    send_due_reminders_task.delay()
    send_due_reminders_task.delay()

    messages = smtp_server.wait_for(2)
    time.sleep(1.0)
    assert len(smtp_server.messages) == 2
    assert sorted(m["To"] for m in messages) == ["a@example.no", "b@example.no"]
    assert {m["Subject"] for m in messages} == {"Starts in one hour: Fyrdialog"}
