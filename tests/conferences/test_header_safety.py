"""Staff-entered values that reach mail headers (Reply-To) and calendar properties (ORGANIZER,
its CN, SUMMARY) are refused in the admin when they hold a line break or a control character."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conferences.models import BuyerOrganisation, Conference
from tests.conferences.test_admin import _conference_form
from tests.factories import make_buyer, make_conference, make_staff, make_user

pytestmark = pytest.mark.django_db

HOSTILE_ADDRESS = '"a\x0bBcc:x@evil.example"@probe.example'
EMAIL_ERROR_NB = "En e-postadresse kan ikke inneholde linjeskift eller kontrolltegn."
LINE_ERROR_NB = "Bruk én linje uten linjeskift eller kontrolltegn."


def _staff_client(*, superuser: bool = False) -> Client:
    client = Client(headers={"accept-language": "nb"})
    client.force_login(make_user(superuser=True) if superuser else make_staff())
    return client


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("contact_email", HOSTILE_ADDRESS, EMAIL_ERROR_NB),
        ("contact_email", "innkjop@etat\u2028bcc.example", EMAIL_ERROR_NB),
        ("name_nb", "Etat\x0bBcc: x@evil.example", LINE_ERROR_NB),
    ],
)
def test_admin_add_buyer_with_control_character_is_refused(field, value, error):
    data = {
        "name_nb": "Kystverket",
        "organisation_number": "974760673",
        "accessibility_statement_url": "https://uustatus.example/kystverket",
        "contact_email": "innkjop@kystverket.example",
        field: value,
    }

    response = _staff_client(superuser=True).post(
        reverse("admin:conferences_buyerorganisation_add"), data
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert BuyerOrganisation.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("contact_email", HOSTILE_ADDRESS, EMAIL_ERROR_NB),
        ("contact_email", '"a\x1eb"@probe.example', EMAIL_ERROR_NB),
        ("title_nb", "Konferanse\x0cBcc: x@evil.example", LINE_ERROR_NB),
        ("title_nb", "Konferanse\u2029ATTENDEE:mailto:spy@evil.example", LINE_ERROR_NB),
    ],
)
def test_admin_add_conference_with_control_character_is_refused(field, value, error):
    response = _staff_client().post(
        reverse("admin:conferences_conference_add"),
        _conference_form(make_buyer(), **{field: value}),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert Conference.objects.count() == 0


def test_conference_full_clean_hostile_contact_email_raises():
    conference = make_conference()
    conference.contact_email = HOSTILE_ADDRESS

    with pytest.raises(ValidationError) as raised:
        conference.full_clean()

    assert raised.value.message_dict["contact_email"] == [
        "An email address cannot contain line breaks or control characters."
    ]
