"""The registration model's own rules (DOMAIN.md rules 5 and 6), on every path that writes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dialogkonferanse.models import OutboundEmail
from registrations.exceptions import InvalidRegistrationError
from registrations.models import Registration
from registrations.services import register_supplier
from tests.factories import make_conference
from tests.registrations.test_services import _details

pytestmark = pytest.mark.django_db

INVALID_NUMBER = (
    "This is not a valid Norwegian organisation number. Check the nine digits, "
    "for example 974 760 673."
)
MISSING_NUMBER = "Enter the organisation number: it is required for Norwegian suppliers."


def _registration(**overrides) -> Registration:
    values = {
        "conference": make_conference(),
        "organisation_name": "Fjordsensor AS",
        "country": "NO",
        "organisation_number": "974760673",
        "contact_name": "Kari Nordmann",
        "email": "kari@fjordsensor.example",
        "privacy_acknowledged_at": timezone.now(),
    }
    values.update(overrides)
    return Registration(**values)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("988077918", INVALID_NUMBER),
        ("98807791", INVALID_NUMBER),
        ("97476067X", INVALID_NUMBER),
        ("", MISSING_NUMBER),
    ],
)
def test_registration_full_clean_refuses_norwegian_number(number, message):
    registration = _registration(organisation_number=number)

    with pytest.raises(ValidationError) as caught:
        registration.full_clean()

    assert caught.value.message_dict == {"organisation_number": [message]}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("123456785", "123456785"), ("974 760 673", "974760673"), ("0 00000000", "000000000")],
)
def test_registration_full_clean_accepts_valid_number(typed, stored):
    registration = _registration(organisation_number=typed)

    registration.full_clean()

    assert registration.organisation_number == stored


def test_registration_full_clean_foreign_supplier_needs_no_norwegian_number():
    registration = _registration(country="SE", organisation_number="", national_id="SE5560000001")

    registration.full_clean()

    assert (registration.organisation_number, registration.national_id) == ("", "SE5560000001")


def test_registration_full_clean_foreign_supplier_without_national_id_is_refused():
    registration = _registration(country="SE", organisation_number="974760673")

    with pytest.raises(ValidationError) as caught:
        registration.full_clean()

    assert caught.value.message_dict == {
        "national_id": [
            "Enter the national or VAT identifier: it is required for suppliers outside Norway."
        ]
    }


def test_registration_full_clean_foreign_supplier_number_still_checked():
    registration = _registration(
        country="DE", organisation_number="988077918", national_id="DE123456789"
    )

    with pytest.raises(ValidationError) as caught:
        registration.full_clean()

    assert caught.value.message_dict == {"organisation_number": [INVALID_NUMBER]}


def test_registration_full_clean_anonymised_without_number_is_kept():
    registration = _registration(organisation_number="", anonymised_at=timezone.now())

    registration.full_clean()

    assert registration.organisation_number == ""


@pytest.mark.parametrize(
    ("number", "message"), [("988077918", INVALID_NUMBER), ("", MISSING_NUMBER)]
)
def test_register_supplier_refuses_invalid_norwegian_number(number, message):
    conference = make_conference()

    with pytest.raises(InvalidRegistrationError) as caught:
        register_supplier(conference_id=conference.pk, details=_details(organisation_number=number))

    assert str(caught.value) == f"The registration could not be saved: {message}"
    assert caught.value.errors.message_dict == {"organisation_number": [message]}
    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)


def test_register_supplier_refuses_invalid_number_for_known_address_too():
    """The refusal does not depend on whether the address is registered (no enumeration)."""
    conference = make_conference()
    register_supplier(conference_id=conference.pk, details=_details())

    with pytest.raises(InvalidRegistrationError):
        register_supplier(
            conference_id=conference.pk, details=_details(organisation_number="988077918")
        )

    assert OutboundEmail.objects.count() == 1  # only the first confirmation


def test_register_supplier_stores_number_typed_with_spaces():
    conference = make_conference()

    receipt = register_supplier(
        conference_id=conference.pk, details=_details(organisation_number="123 456 785")
    )

    assert Registration.objects.get(pk=receipt.registration_id).organisation_number == "123456785"


def test_register_supplier_foreign_supplier_with_national_id():
    conference = make_conference()

    receipt = register_supplier(
        conference_id=conference.pk,
        details=_details(country="SE", organisation_number="", national_id="SE556000000001"),
    )

    stored = Registration.objects.get(pk=receipt.registration_id)
    assert (stored.country, stored.organisation_number, stored.national_id) == (
        "SE",
        "",
        "SE556000000001",
    )
