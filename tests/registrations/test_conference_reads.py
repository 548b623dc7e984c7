"""The registration pages read the conference with its buyer in one query; the write never
trusts the page's read: it reads the conference again under its lock, so a change or a closing
made in between takes effect at once (real PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conferences.choices import ConferenceStatus
from dialogkonferanse.models import OutboundEmail
from registrations.models import Registration

pytestmark = pytest.mark.django_db

TABLE = '"conferences_conference"'


def _conference_reads(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, sum(TABLE in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("page", ["register", "registered", "resend", "link_sent"])
def test_registration_pages_read_the_conference_once(client, conference, page):
    url = reverse(f"registrations:{page}", args=[conference.slug])

    assert _conference_reads(client, url) == (200, 1)


def test_registration_page_shows_a_change_at_the_next_request(client, conference):
    url = reverse("registrations:register", args=[conference.slug])
    client.get(url)
    conference.title = "Fyrdialog: ny tittel"
    conference.save()

    response = client.get(url)

    assert "Fyrdialog: ny tittel" in response.content.decode()


def test_registration_after_a_change_uses_the_stored_conference(client, conference, form_data):
    url = reverse("registrations:register", args=[conference.slug])
    client.get(url)  # the page showed the old title
    conference.title_nb = "Fyrdialog: ny tittel"  # the Bokmål title, which the email shows
    conference.save()

    response = client.post(url, form_data())

    assert response.status_code == 302
    registration = Registration.objects.get(conference=conference)
    email = OutboundEmail.objects.get(registration=registration)
    assert "Fyrdialog: ny tittel" in email.subject + email.body_text


def test_registration_after_closing_is_refused_though_the_page_read_it_open(
    client, conference, form_data
):
    url = reverse("registrations:register", args=[conference.slug])
    client.get(url)  # read while open
    conference.status = ConferenceStatus.CLOSED
    conference.save()

    response = client.post(url, form_data())

    assert response.status_code == 200
    assert "The dialogue is closed" in response.content.decode()
    assert not Registration.objects.filter(conference=conference).exists()
    assert not OutboundEmail.objects.exists()


def test_staff_previewing_a_draft_reads_it_once(admin_client, conference):
    conference.status = ConferenceStatus.DRAFT
    conference.save()
    url = reverse("registrations:register", args=[conference.slug])

    assert _conference_reads(admin_client, url) == (200, 1)
