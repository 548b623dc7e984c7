from __future__ import annotations

import pytest
from django.utils import translation

from conferences.validators import is_valid_organisation_number
from registrations.forms import RegistrationForm, collation_key
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


NATIONAL_ID_MISSING = {
    "en": "Enter the national or VAT identifier: it is required for suppliers outside Norway.",
    "nb": "Skriv inn nasjonalt ID-nummer eller mva-nummer: det må fylles ut av leverandører "
    "utenfor Norge.",
}
ORG_NUMBER_MISSING = {
    "en": "Enter the organisation number: it is required for Norwegian suppliers.",
    "nb": "Skriv inn organisasjonsnummeret: det må fylles ut av norske leverandører.",
}


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_registration_form_foreign_supplier_without_national_id_is_refused(form_data, lang):
    with translation.override(lang):
        form = RegistrationForm(
            form_data(country="SE", organisation_number="974 760 673", national_id=""),
            conference=make_conference(),
        )
        valid = form.is_valid()
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}

    assert valid is False
    assert errors == {"national_id": [NATIONAL_ID_MISSING[lang]]}


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_registration_form_norwegian_supplier_national_id_does_not_replace_number(form_data, lang):
    with translation.override(lang):
        form = RegistrationForm(
            form_data(country="NO", organisation_number="", national_id="SE556000000001"),
            conference=make_conference(),
        )
        valid = form.is_valid()
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}

    assert valid is False
    assert errors == {"organisation_number": [ORG_NUMBER_MISSING[lang]]}


def test_registration_form_norwegian_supplier_national_id_is_dropped(form_data):
    form = RegistrationForm(
        form_data(country="NO", national_id="SE556000000001\nline break"),
        conference=make_conference(),
    )

    assert form.is_valid(), form.errors
    assert (form.to_details().organisation_number, form.to_details().national_id) == (
        "974760673",
        "",
    )


def test_registration_form_foreign_supplier_with_national_id_only_is_accepted(form_data):
    form = RegistrationForm(
        form_data(country="SE", organisation_number="", national_id="SE556000000001"),
        conference=make_conference(),
    )

    assert form.is_valid(), form.errors
    details = form.to_details()
    assert (details.country, details.organisation_number, details.national_id) == (
        "SE",
        "",
        "SE556000000001",
    )


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


@pytest.mark.parametrize("topics", ["Sensorer på bøyer", "Bad\x00text", "x" * 2001])
def test_registration_form_topics_without_meeting_wish_are_dropped_unchecked(form_data, topics):
    conference = make_conference(offers_one_to_one=True)
    form = RegistrationForm(
        form_data(wants_one_to_one=None, one_to_one_topics=topics), conference=conference
    )

    assert form.is_valid(), form.errors
    details = form.to_details()
    assert (details.wants_one_to_one, details.one_to_one_topics) == (False, "")


def test_registration_form_topics_with_meeting_wish_are_still_checked(form_data):
    conference = make_conference(offers_one_to_one=True)
    form = RegistrationForm(form_data(one_to_one_topics="Bad\x07text"), conference=conference)

    assert form.is_valid() is False
    assert form.errors["one_to_one_topics"] == ["Remove the control characters from the text."]


def _country_labels(lang: str) -> list[str]:
    with translation.override(lang):
        form = RegistrationForm(conference=make_conference())
        return [str(label) for _code, label in form.fields["country"].choices]


def test_registration_form_countries_in_norwegian_alphabetical_order_norway_first():
    labels = _country_labels("nb")

    assert labels[0] == "Norge"
    assert labels[1:4] == ["Belgia", "Bulgaria", "Danmark"]
    # Ø comes after Z (and before Å) in Norwegian: Østerrike is last, not second.
    assert labels[-3:] == ["Tyskland", "Ungarn", "Østerrike"]
    assert len(labels) == 31


def test_registration_form_countries_in_english_order_norway_first():
    labels = _country_labels("en")

    assert labels[:4] == ["Norway", "Austria", "Belgium", "Bulgaria"]
    assert labels[-2:] == ["Sweden", "Switzerland"]


@pytest.mark.parametrize(
    ("names", "language", "expected"),
    [
        (
            ["Åland", "Ørsta", "Ærø", "Zambia", "Ålesund"],
            "nb",
            ["Zambia", "Ærø", "Ørsta", "Åland", "Ålesund"],
        ),
        (["Öland", "Zug", "Äpple"], "nn", ["Zug", "Äpple", "Öland"]),
        (["Österreich", "Zürich", "Austria"], "en", ["Austria", "Österreich", "Zürich"]),
    ],
)
def test_collation_key_norwegian_letters_last(names, language, expected):
    assert sorted(names, key=lambda n: collation_key(n, language=language)) == expected
