"""The registration pages share a few seconds' read of the conference; the write never trusts
it: a conference changed or closed since is read again (real PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conferences.choices import ConferenceStatus
from conferences.selectors import forget_public_conference_reads
from dialogkonferanse.models import OutboundEmail
from registrations.models import Registration

pytestmark = pytest.mark.django_db

TABLE = '"conferences_conference"'


@pytest.fixture(autouse=True)
def _reads_kept(settings):
    settings.CONFERENCE_READ_CACHE_SECONDS = 60
    forget_public_conference_reads()
    yield
    forget_public_conference_reads()


def _conference_reads(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, sum(TABLE in q["sql"] for q in queries.captured_queries)


def test_registration_pages_share_one_read(client, conference):
    url = reverse("registrations:register", args=[conference.slug])

    assert _conference_reads(client, url) == (200, 1)
    assert _conference_reads(client, url) == (200, 0)
    thanks = reverse("registrations:registered", args=[conference.slug])
    assert _conference_reads(client, thanks) == (200, 0)


def test_registration_after_a_change_uses_the_stored_conference(client, conference, form_data):
    url = reverse("registrations:register", args=[conference.slug])
    client.get(url)  # this process now holds the old title
    conference.title = "Fyrdialog: ny tittel"
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


def test_staff_previewing_a_draft_always_read_afresh(admin_client, conference):
    url = reverse("registrations:register", args=[conference.slug])
    assert _conference_reads(admin_client, url) == (200, 1)
    assert _conference_reads(admin_client, url) == (200, 1)
