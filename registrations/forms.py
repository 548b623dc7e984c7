"""The supplier-facing forms. Forms only validate; the services write."""

from __future__ import annotations

import unicodedata
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
    validate_supplier_identifiers,
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


# Norwegian alphabetical order puts æ, ø, å (and ä, ö, read as æ, ø) after z; characters past
# "z" in code-point order do that without a collation library.
_NORWEGIAN_LAST_LETTERS = str.maketrans({"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"})


def collation_key(text: str, *, language: str) -> str:
    """A sort key for names in ``language``: case and other accents ignored; in Norwegian
    (nb, nn) æ, ø and å come last, so "Østerrike" sorts after "Tyskland"."""
    text = text.casefold()
    if language in (Language.NB, Language.NN):
        text = text.translate(_NORWEGIAN_LAST_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# Choices given as functions: every form instance deep-copies its fields, and copying a
# function is free where copying thirty translated labels is not.
def _country_choices() -> list[tuple[str, str]]:
    """Norway first (most suppliers), then the others by their name in the page's language."""
    language = current_language()
    others = [(code, str(label)) for code, label in Country.choices if code != Country.NO]
    others.sort(key=lambda choice: collation_key(choice[1], language=language))
    return [(Country.NO.value, str(Country.NO.label)), *others]


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
    # Both identifiers are in the form, each labelled for whom it is: without JavaScript the
    # supplier fills the one that fits; with it (static/registrations/register.js) only that one
    # shows. The server asks for the one the country needs either way.
    organisation_number = forms.CharField(
        label=_("Organisation number (Norwegian companies)"),
        max_length=20,
        required=False,
        help_text=_("Required for Norwegian suppliers: nine digits, for example 974 760 673."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    national_id = forms.CharField(
        label=_("National or VAT identifier (companies outside Norway)"),
        max_length=50,
        required=False,
        validators=[validate_single_line],
        help_text=_(
            "Required for suppliers outside Norway: the company's registration or VAT number "
            "in its own country."
        ),
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
    # Without JavaScript the topics field is always there, explained by its help text; with it,
    # it shows only when a meeting is wanted. Topics sent without a wish for a meeting are
    # dropped unchecked.
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
        needed = ""
        if country:
            # The rule is the model's (Registration.clean), checked here to show the error
            # beside the field; the identifier of the other kind is dropped unchecked.
            ignored = "national_id" if country == Country.NO else "organisation_number"
            needed = "organisation_number" if country == Country.NO else "national_id"
            self._errors.pop(ignored, None)
            cleaned[ignored] = ""
        if country and needed not in self._errors:
            try:
                validate_supplier_identifiers(
                    country=country,
                    organisation_number=number if country == Country.NO else "",
                    national_id=cleaned.get("national_id", ""),
                )
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        if country == Country.NO and number and not is_valid_organisation_number(number):
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
        if "one_to_one_topics" in self.fields and not cleaned.get("wants_one_to_one"):
            self._errors.pop("one_to_one_topics", None)
            cleaned["one_to_one_topics"] = ""
        elif (
            cleaned.get("wants_one_to_one")
            and "one_to_one_topics" not in self._errors
            and not cleaned.get("one_to_one_topics", "").strip()
        ):
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
            privacy_acknowledged=data["privacy_acknowledged"],
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
