from __future__ import annotations

import pytest
from django.utils import translation

from conferences.validators import is_valid_organisation_number
from registrations.forms import RegistrationForm
from tests.factories import make_conference

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("123456785", True),
        ("974760673", True),
        ("974 760 673", True),
        ("988077918", False),
        # 12345670x: the weighted sum leaves remainder 1, so the check digit would be 10.
        ("123456700", False),
        ("123456701", False),
        ("97476067", False),
        ("9747606731", False),
        ("97476067a", False),
    ],
)
def test_is_valid_organisation_number_vectors(number, valid):
    assert is_valid_organisation_number(number) == valid


def test_check_digit_ten_vector_really_has_remainder_one():
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    assert sum(int(d) * w for d, w in zip("12345670", weights, strict=True)) % 11 == 1


@pytest.mark.parametrize(
    ("number", "expected"),
    [("123456785", "123456785"), ("974 760 673", "974760673"), (" 974760673 ", "974760673")],
)
def test_registration_form_norwegian_valid_number_is_accepted(form_data, number, expected):
    form = RegistrationForm(form_data(organisation_number=number), conference=make_conference())

    assert form.is_valid(), form.errors
    assert form.cleaned_data["organisation_number"] == expected


@pytest.mark.parametrize("number", ["988077918", "123456700", "12345678"])
def test_registration_form_norwegian_invalid_number_is_refused(form_data, number):
    form = RegistrationForm(form_data(organisation_number=number), conference=make_conference())

    assert form.is_valid() is False
    assert form.errors["organisation_number"] == [
        "This is not a valid Norwegian organisation number. Check the nine digits, "
        "for example 974 760 673."
    ]


def test_registration_form_norwegian_without_number_is_refused(form_data):
    form = RegistrationForm(form_data(organisation_number=""), conference=make_conference())

    assert form.is_valid() is False
    assert form.errors["organisation_number"] == [
        "Enter the organisation number: it is required for Norwegian suppliers."
    ]


def test_registration_form_foreign_supplier_without_any_number_is_accepted(form_data):
    form = RegistrationForm(
        form_data(country="SE", organisation_number="", national_id=""),
        conference=make_conference(),
    )

    assert form.is_valid(), form.errors
    assert form.to_details().organisation_number == ""
    assert form.to_details().country == "SE"


def test_registration_form_foreign_supplier_number_field_is_ignored(form_data):
    form = RegistrationForm(
        form_data(country="DE", organisation_number="988077918", national_id="DE123456789"),
        conference=make_conference(),
    )

    assert form.is_valid(), form.errors
    assert (form.to_details().organisation_number, form.to_details().national_id) == (
        "",
        "DE123456789",
    )


@pytest.mark.parametrize("field", ["organisation_name", "contact_name", "national_id"])
@pytest.mark.parametrize("bad", ["Kari\r\nBcc: x@evil.example", "Kari\nNordmann", "A\rB", "A\x00B"])
def test_registration_form_line_breaks_in_single_line_fields_are_refused(form_data, field, bad):
    form = RegistrationForm(form_data(country="SE", **{field: bad}), conference=make_conference())

    assert form.is_valid() is False
    assert field in form.errors


def test_registration_form_crlf_in_email_is_refused(form_data):
    form = RegistrationForm(
        form_data(email="kari@fjordsensor.example\r\nBcc: x@evil.example"),
        conference=make_conference(),
    )

    assert form.is_valid() is False
    assert "email" in form.errors


def test_registration_form_privacy_not_acknowledged_is_refused(form_data):
    form = RegistrationForm(form_data(privacy_acknowledged=None), conference=make_conference())

    assert form.is_valid() is False
    assert form.errors["privacy_acknowledged"] == [
        "Confirm that you have read the privacy notice and the rules."
    ]


def test_registration_form_one_to_one_without_topics_is_refused(form_data):
    conference = make_conference(offers_one_to_one=True)
    form = RegistrationForm(form_data(one_to_one_topics=""), conference=conference)

    assert form.is_valid() is False
    assert form.errors["one_to_one_topics"] == [
        "Tell us briefly what you want to raise in the meeting."
    ]


def test_registration_form_no_one_to_one_offered_has_no_such_fields(form_data):
    form = RegistrationForm(form_data(), conference=make_conference(offers_one_to_one=False))

    assert form.is_valid(), form.errors
    assert ("wants_one_to_one" in form.fields, form.to_details().wants_one_to_one) == (
        False,
        False,
    )


@pytest.mark.parametrize(("ui", "expected"), [("en", "en"), ("nn", "nn"), ("nb", "nb")])
def test_registration_form_language_defaults_to_ui_language(ui, expected):
    with translation.override(ui):
        form = RegistrationForm(conference=make_conference())

        assert form.fields["language"].initial == expected


def test_registration_form_country_defaults_to_norway():
    form = RegistrationForm(conference=make_conference())

    assert form.fields["country"].initial == "NO"
