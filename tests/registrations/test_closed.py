"""A closed dialogue takes no registrations and no cancellations, each with a clear message."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conferences.choices import ConferenceStatus
from registrations.exceptions import RegistrationClosedError
from registrations.models import Registration
from registrations.services import SupplierDetails, cancel_registration, register_supplier
from tests.factories import make_conference, make_registration

pytestmark = pytest.mark.django_db

CLOSED = "The dialogue is closed"


def test_register_supplier_refused_when_closed():
    conference = make_conference(status=ConferenceStatus.CLOSED)

    with pytest.raises(RegistrationClosedError, match=CLOSED):
        register_supplier(
            conference_id=conference.pk,
            details=SupplierDetails(
                organisation_name="Sen AS", contact_name="Per Sen", email="per@sen.example"
            ),
        )

    assert not Registration.objects.filter(conference=conference).exists()


def test_register_page_says_closed(client):
    conference = make_conference(status=ConferenceStatus.CLOSED)

    response = client.get(reverse("registrations:register", args=[conference.slug]))

    assert "The dialogue is closed: the competition has been announced" in response.content.decode()


def test_cancel_registration_refused_when_closed():
    conference = make_conference(status=ConferenceStatus.CLOSED)
    registration = make_registration(conference=conference)

    with pytest.raises(RegistrationClosedError, match="part of the procurement record"):
        cancel_registration(registration_id=registration.pk)

    registration.refresh_from_db()
    assert registration.cancelled_at is None
