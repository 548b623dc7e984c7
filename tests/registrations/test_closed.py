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
                privacy_acknowledged=True,
                organisation_name="Sen AS",
                contact_name="Per Sen",
                email="per@sen.example",
                organisation_number="974760673",
            ),
        )

    assert not Registration.objects.filter(conference=conference).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": ConferenceStatus.CLOSED}, CLOSED),
        ({"status": ConferenceStatus.DRAFT}, "not open for registration"),
        (
            {
                "registration_opens_at": "1999-12-01T00:00:00Z",
                "registration_closes_at": "2000-01-01T00:00:00Z",
            },
            "Registration closed",
        ),
    ],
)
def test_register_supplier_refused_when_closed_after_the_page_read_it(change, message):
    """The page's read of the conference is not trusted: the service reads it again under its
    lock, and the refusal says why, from the conference as it is now."""
    from conferences.models import Conference
    from conferences.selectors import public_conference_for_registration

    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    read_by_the_page = public_conference_for_registration(slug=conference.slug)
    Conference.objects.filter(pk=conference.pk).update(**change)  # staff, a moment later

    with pytest.raises(RegistrationClosedError, match=message):
        register_supplier(
            conference_id=read_by_the_page.pk,
            details=SupplierDetails(
                privacy_acknowledged=True,
                organisation_name="Sen AS",
                contact_name="Per Sen",
                email="per@sen.example",
                organisation_number="974760673",
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


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_waits_for_a_closing_in_progress_and_is_then_refused():
    """Staff close the dialogue (the conference row locked, the status changed, not yet
    committed) while the supplier presses "Cancel": the cancellation waits for the closing and
    sees the dialogue closed, so no registration leaves the record after it closed."""
    import threading
    import time

    from django.db import connection, transaction

    from conferences.models import Conference
    from registrations.models import PersonalLink

    conference = make_conference()
    registration = make_registration(conference=conference)
    locked = threading.Event()
    closer_errors: list[Exception] = []

    def closing() -> None:
        try:
            with transaction.atomic():
                Conference.objects.select_for_update().filter(pk=conference.pk).update(
                    status=ConferenceStatus.CLOSED
                )
                locked.set()
                time.sleep(0.5)  # the cancellation starts meanwhile
                # As closing does when it cancels the supplier's meeting (an email and a link
                # pointing to the registration): the reference needs the registration row's key
                # share lock, so a cancellation holding that row while waiting for the
                # conference would deadlock with it.
                PersonalLink.objects.create(
                    registration_id=registration.pk, token_hash="c" * 64, purpose="test"
                )
        except Exception as exc:
            closer_errors.append(exc)
        finally:
            connection.close()

    closer = threading.Thread(target=closing)
    closer.start()
    assert locked.wait(10)
    try:
        with pytest.raises(RegistrationClosedError, match="part of the procurement record"):
            cancel_registration(registration_id=registration.pk)
    finally:
        closer.join(10)

    assert closer_errors == []
    registration.refresh_from_db()
    assert registration.cancelled_at is None
    assert Conference.objects.get(pk=conference.pk).status == ConferenceStatus.CLOSED
