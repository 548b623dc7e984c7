"""Addresses and names that would forge mail headers or calendar properties are refused on
every path that writes a registration: the public form, the admin, the service, the model."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from dialogkonferanse.models import OutboundEmail
from registrations.exceptions import RegistrationError
from registrations.ics import plenary_invite
from registrations.models import Registration
from registrations.services import register_supplier, reissue_access_link
from tests.factories import make_registration, make_user
from tests.registrations.test_services import _details

pytestmark = pytest.mark.django_db

# Each is accepted by Django's own EmailValidator (quoted local parts may hold most ASCII
# control characters; the domain check admits any character from U+00A1 up).
HOSTILE_ADDRESSES = {
    "vertical tab": '"a\x0bBcc:x@evil.example"@probe.example',
    "form feed": '"a\x0cBcc:x@evil.example"@probe.example',
    "record separator": '"a\x1eBcc:x@evil.example"@probe.example',
    "file separator": '"a\x1cBcc:x@evil.example"@probe.example',
    "start of heading": '"a\x01b"@probe.example',
    "delete": '"a\x7fb"@probe.example',
    "line separator": "kari@probe\u2028bcc.example",
    "paragraph separator": "kari@probe\u2029bcc.example",
    "zero-width space": "kari@lever\u200bandor.example",
}
# Refused by Django already; they must stay refused.
ALREADY_REFUSED = {
    "crlf": '"a\r\nBcc: x@evil.example"@probe.example',
    "nul": '"a\x00b"@probe.example',
    "next line": '"a\x85b"@probe.example',
}
EMAIL_ERROR = "An email address cannot contain line breaks or control characters."
EMAIL_ERROR_NB = "En e-postadresse kan ikke inneholde linjeskift eller kontrolltegn."


def _register_url(conference) -> str:
    return reverse("registrations:register", kwargs={"slug": conference.slug})


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES.values(), ids=HOSTILE_ADDRESSES.keys())
def test_register_post_hostile_address_is_a_form_error(client, conference, form_data, address):
    response = client.post(_register_url(conference), form_data(email=address))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [EMAIL_ERROR]
    assert Registration.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize("address", ALREADY_REFUSED.values(), ids=ALREADY_REFUSED.keys())
def test_register_post_malformed_address_stays_refused(client, conference, form_data, address):
    response = client.post(_register_url(conference), form_data(email=address))

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Registration.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_register_post_hostile_address_error_in_norwegian(conference, form_data):
    client = Client(headers={"accept-language": "nb"})

    response = client.post(
        _register_url(conference), form_data(email=HOSTILE_ADDRESSES["form feed"])
    )

    assert response.context["form"].errors["email"] == [EMAIL_ERROR_NB]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES.values(), ids=HOSTILE_ADDRESSES.keys())
def test_resend_post_hostile_address_is_a_form_error(client, conference, address):
    response = client.post(
        reverse("registrations:resend", kwargs={"slug": conference.slug}), {"email": address}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [EMAIL_ERROR]
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES.values(), ids=HOSTILE_ADDRESSES.keys())
def test_registration_full_clean_hostile_address_raises(conference, address):
    registration = Registration(
        conference=conference,
        organisation_name="Fjordsensor AS",
        organisation_number="974760673",
        contact_name="Kari Nordmann",
        email=address,
        privacy_acknowledged_at=timezone.now(),
    )

    with pytest.raises(ValidationError) as raised:
        registration.full_clean()

    assert raised.value.message_dict["email"] == [EMAIL_ERROR]


@pytest.mark.parametrize("field", ["contact_name", "organisation_name"])
@pytest.mark.parametrize("char", ["\x0b", "\r\n", "\u2028", "\x00"])
def test_registration_full_clean_name_with_control_character_raises(conference, field, char):
    values = {"organisation_name": "Fjordsensor AS", "contact_name": "Kari Nordmann"}
    values[field] = f"Kari{char}Bcc: x@evil.example"
    registration = Registration(
        conference=conference,
        organisation_number="974760673",
        email="kari@fjordsensor.example",
        privacy_acknowledged_at=timezone.now(),
        **values,
    )

    with pytest.raises(ValidationError) as raised:
        registration.full_clean()

    assert raised.value.message_dict[field] == [
        "Use a single line without line breaks or control characters."
    ]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES.values(), ids=HOSTILE_ADDRESSES.keys())
def test_register_supplier_hostile_address_raises_and_stores_nothing(conference, address):
    """Callers without a form (commands, imports, the demo) obey the same rule."""
    with pytest.raises(RegistrationError, match=EMAIL_ERROR):
        register_supplier(conference_id=conference.pk, details=_details(email=address))

    assert Registration.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_register_supplier_hostile_contact_name_raises(conference):
    with pytest.raises(RegistrationError, match="single line"):
        register_supplier(
            conference_id=conference.pk,
            details=_details(contact_name="Kari\x0bBcc: x@evil.example"),
        )

    assert Registration.objects.count() == 0


def _admin_change_data(registration: Registration, **overrides: str) -> dict[str, str]:
    data = {
        "organisation_name": registration.organisation_name,
        "country": registration.country,
        "organisation_number": registration.organisation_number,
        "national_id": registration.national_id,
        "contact_name": registration.contact_name,
        "email": registration.email,
        "phone": registration.phone,
        "language": registration.language,
        "one_to_one_topics": registration.one_to_one_topics,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES.values(), ids=HOSTILE_ADDRESSES.keys())
def test_admin_change_registration_hostile_address_is_refused(address):
    client = Client(headers={"accept-language": "nb"})
    client.force_login(make_user(superuser=True))
    registration = make_registration(email="kari@fjordsensor.example")
    url = reverse("admin:registrations_registration_change", args=[registration.pk])

    response = client.post(url, _admin_change_data(registration, email=address))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [EMAIL_ERROR_NB]
    registration.refresh_from_db()
    assert registration.email == "kari@fjordsensor.example"


def test_admin_change_registration_clean_address_is_saved():
    client = Client(headers={"accept-language": "nb"})
    client.force_login(make_user(superuser=True))
    registration = make_registration(email="kari@fjordsensor.example")
    url = reverse("admin:registrations_registration_change", args=[registration.pk])

    response = client.post(url, _admin_change_data(registration, email="ola@fjordsensor.example"))

    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.email == "ola@fjordsensor.example"


# --- Rows that got past validation (written before it existed, or by raw SQL) ---------------


def test_reissue_access_link_stored_hostile_address_is_refused_without_email(conference):
    registration = make_registration(conference=conference)
    Registration.objects.filter(pk=registration.pk).update(email=HOSTILE_ADDRESSES["vertical tab"])

    with pytest.raises(RegistrationError, match="valid email address"):
        reissue_access_link(registration_id=registration.pk)

    assert OutboundEmail.objects.count() == 0


def test_admin_resend_link_action_stored_hostile_address_shows_error(conference):
    client = Client(headers={"accept-language": "en"})
    client.force_login(make_user(superuser=True))
    registration = make_registration(conference=conference)
    Registration.objects.filter(pk=registration.pk).update(email=HOSTILE_ADDRESSES["form feed"])

    response = client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "resend_access_link", "_selected_action": [registration.pk]},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert any("valid email address" in message for message in shown), shown
    assert OutboundEmail.objects.count() == 0


def test_plenary_invite_stored_hostile_address_and_name_stay_inside_attendee(conference):
    registration = make_registration(conference=conference)
    Registration.objects.filter(pk=registration.pk).update(
        email=HOSTILE_ADDRESSES["vertical tab"], contact_name="Kari\x0c\r\nX-EVIL:1\u2028Nordmann"
    )
    registration.refresh_from_db()

    data = plenary_invite(registration)

    assert not any(ord(c) < 32 and c not in "\r\n" for c in data.decode())
    assert "\u2028" not in data.decode()
    [event] = Calendar.from_ical(data).walk("VEVENT")
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:%22a%0BBcc:x@evil.example%22@probe.example"
    assert str(attendee.params["CN"]) == "Kari X-EVIL:1 Nordmann"
    assert "X-EVIL" not in event
