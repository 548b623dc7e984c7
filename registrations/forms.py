"""The supplier-facing forms. Forms only validate; the services write."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from conferences.models import Conference
from conferences.validators import is_valid_organisation_number, normalise_organisation_number

from .choices import Country, Language
from .services import SupplierDetails
from .validators import (
    validate_email_address,
    validate_multiline_text,
    validate_phone,
    validate_single_line,
)


def current_language() -> str:
    """The UI language as one of the email languages (``en-us`` → ``en``; unknown → nb)."""
    code = (translation.get_language() or "").split("-")[0].lower()
    return code if code in Language.values else Language.NB


def _helper(*layout: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


# Choices given as functions: every form instance deep-copies its fields, and copying a
# function is free where copying thirty translated labels is not.
def _country_choices() -> list[tuple[str, str]]:
    return Country.choices


def _language_choices() -> list[tuple[str, str]]:
    return Language.choices


class RegistrationForm(forms.Form):
    organisation_name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=_country_choices,
        initial=Country.NO,
        help_text=_("Suppliers from the whole EEA and Switzerland can take part."),
    )
    organisation_number = forms.CharField(
        label=_("Norwegian organisation number"),
        max_length=20,
        required=False,
        help_text=_("Required for Norwegian suppliers: nine digits, for example 974 760 673."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    national_id = forms.CharField(
        label=_("National or VAT identifier"),
        max_length=50,
        required=False,
        validators=[validate_single_line],
        help_text=_("For suppliers outside Norway, if you have one."),
    )
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        validators=[validate_email_address],
        help_text=_("We send your personal link to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=40,
        required=False,
        validators=[validate_single_line, validate_phone],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    language = forms.ChoiceField(
        label=_("Language of our emails"),
        choices=_language_choices,
    )
    wants_one_to_one = forms.BooleanField(
        label=_("I want a one-to-one meeting"),
        required=False,
        help_text=_("Every meeting has the same length and agenda."),
    )
    one_to_one_topics = forms.CharField(
        label=_("Topics you want to raise in the meeting"),
        max_length=2000,
        required=False,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required if you want a meeting. May be released on request under the "
            "Freedom of Information Act; mark any business secrets."
        ),
    )
    listed_publicly = forms.BooleanField(
        label=_("Show my organisation in the public participant list"),
        required=False,
        help_text=_("Only the organisation's name and country are shown, never your name."),
    )
    open_to_partnering = forms.BooleanField(
        label=_("We are open to partnering or subcontracting"),
        required=False,
        help_text=_("Shown next to your organisation in the participant list."),
    )
    privacy_acknowledged = forms.BooleanField(
        label=_("I have read the privacy notice and the rules of the dialogue"),
        required=True,
        error_messages={
            "required": _("Confirm that you have read the privacy notice and the rules.")
        },
    )

    def __init__(self, *args: Any, conference: Conference, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conference = conference
        self.fields["language"].initial = current_language()
        if not conference.offers_one_to_one:
            del self.fields["wants_one_to_one"]
            del self.fields["one_to_one_topics"]

    @cached_property
    def helper(self) -> FormHelper:
        """The layout, built only when the form is rendered (not for a valid submission)."""
        one_to_one: list[Any] = []
        if self.conference.offers_one_to_one:
            one_to_one = [
                Fieldset(_("One-to-one meeting"), "wants_one_to_one", "one_to_one_topics")
            ]
        # The privacy checkbox is rendered after the dialogue rules, by the template.
        return _helper(
            Fieldset(
                _("Organisation"),
                "organisation_name",
                "country",
                "organisation_number",
                "national_id",
            ),
            Fieldset(_("Contact person"), "contact_name", "email", "phone", "language"),
            *one_to_one,
            Fieldset(_("Participant list"), "listed_publicly", "open_to_partnering"),
        )

    def clean_organisation_number(self) -> str:
        return normalise_organisation_number(self.cleaned_data.get("organisation_number", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        country = cleaned.get("country")
        number = cleaned.get("organisation_number", "")
        if country == Country.NO:
            if not number:
                self.add_error(
                    "organisation_number",
                    forms.ValidationError(
                        _("Enter the organisation number: it is required for Norwegian suppliers."),
                        code="required",
                    ),
                )
            elif not is_valid_organisation_number(number):
                self.add_error(
                    "organisation_number",
                    forms.ValidationError(
                        _(
                            "This is not a valid Norwegian organisation number. Check the nine "
                            "digits, for example 974 760 673."
                        ),
                        code="invalid_organisation_number",
                    ),
                )
        elif country:
            cleaned["organisation_number"] = ""
        if cleaned.get("wants_one_to_one") and not cleaned.get("one_to_one_topics", "").strip():
            self.add_error(
                "one_to_one_topics",
                forms.ValidationError(
                    _("Tell us briefly what you want to raise in the meeting."), code="required"
                ),
            )
        return cleaned

    def to_details(self) -> SupplierDetails:
        data = self.cleaned_data
        return SupplierDetails(
            organisation_name=data["organisation_name"],
            contact_name=data["contact_name"],
            email=data["email"],
            country=data["country"],
            organisation_number=data.get("organisation_number", ""),
            national_id=data.get("national_id", "") if data["country"] != Country.NO else "",
            phone=data.get("phone", ""),
            language=data["language"],
            wants_one_to_one=data.get("wants_one_to_one", False),
            one_to_one_topics=data.get("one_to_one_topics", ""),
            listed_publicly=data.get("listed_publicly", False),
            open_to_partnering=data.get("open_to_partnering", False),
        )


class ResendLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Email you registered with"),
        max_length=254,
        validators=[validate_email_address],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("email")


class ContactDetailsForm(forms.Form):
    contact_name = forms.CharField(
        label=_("Your name"), max_length=200, validators=[validate_single_line]
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=40,
        required=False,
        validators=[validate_single_line, validate_phone],
    )
    language = forms.ChoiceField(label=_("Language of our emails"), choices=Language.choices)
    listed_publicly = forms.BooleanField(
        label=_("Show my organisation in the public participant list"), required=False
    )
    open_to_partnering = forms.BooleanField(
        label=_("We are open to partnering or subcontracting"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "contact_name", "phone", "language", "listed_publicly", "open_to_partnering"
        )
