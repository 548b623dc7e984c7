"""The registration page asks for the identifier that fits the country and for meeting topics
only with a wish for a meeting, without JavaScript too (both fields are there, each labelled;
the server asks for the right one)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from registrations.models import Registration

pytestmark = pytest.mark.django_db


def _url(conference) -> str:
    return reverse("registrations:register", kwargs={"slug": conference.slug})


def test_register_page_labels_both_identifiers_for_whom_they_are(client, conference):
    html = client.get(_url(conference)).content.decode()

    assert "Organisation number (Norwegian companies)" in html
    assert "National or VAT identifier (companies outside Norway)" in html
    assert 'id="div_id_organisation_number"' in html
    assert 'id="div_id_national_id"' in html
    assert 'id="div_id_one_to_one_topics"' in html
    assert "registrations/register.js" in html


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        (
            "en",
            "Enter the national or VAT identifier: it is required for suppliers outside Norway.",
        ),
        (
            "nb",
            "Skriv inn nasjonalt ID-nummer eller mva-nummer: det må fylles ut av leverandører "
            "utenfor Norge.",
        ),
    ],
)
def test_register_foreign_supplier_without_national_id_is_told_beside_the_field(
    conference, form_data, no_rate_limits, lang, message
):
    client = Client(headers={"accept-language": lang})

    response = client.post(
        _url(conference), form_data(country="DE", organisation_number="", national_id="")
    )

    html = response.content.decode()
    assert response.status_code == 200
    field = html[html.index('id="div_id_national_id"') :]
    assert field.index(message) < field.index('id="div_id_contact_name"')
    assert Registration.objects.count() == 0


def test_register_foreign_supplier_with_national_id_only_is_registered(
    client, conference, form_data, no_rate_limits
):
    response = client.post(
        _url(conference),
        form_data(
            country="DE",
            organisation_number="",
            national_id="DE123456789",
            wants_one_to_one=None,
            one_to_one_topics="Sent by a browser without JavaScript",
        ),
    )

    assert response.status_code == 302
    stored = Registration.objects.get()
    assert (
        stored.country,
        stored.organisation_number,
        stored.national_id,
        stored.wants_one_to_one,
        stored.one_to_one_topics,
    ) == ("DE", "", "DE123456789", False, "")


def test_register_norwegian_supplier_national_id_is_not_stored(
    client, conference, form_data, no_rate_limits
):
    response = client.post(_url(conference), form_data(national_id="SE556000000001"))

    assert response.status_code == 302
    stored = Registration.objects.get()
    assert (stored.organisation_number, stored.national_id) == ("974760673", "")
