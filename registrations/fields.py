"""Model and form fields of the registrations app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from conferences.validators import normalise_organisation_number

from .validators import validate_norwegian_organisation_number


class OrganisationNumberFormField(forms.CharField):
    """Accepts the number as people type it (``974 760 673``) and cleans it to nine digits."""

    def to_python(self, value: Any) -> str:
        return normalise_organisation_number(super().to_python(value))

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)  # the spaces people type count until cleaned away
        attrs.setdefault("inputmode", "numeric")
        return attrs


class OrganisationNumberField(models.CharField):
    """A Norwegian organisation number, stored as nine digits without spaces.

    Every non-empty value must pass the MOD11 check (DOMAIN.md rule 6), on every path that
    validates the model: the admin, ``full_clean()`` in services, commands and imports. Whether
    a number is required depends on the country: see ``Registration.clean``.
    """

    default_validators = [validate_norwegian_organisation_number]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalise_organisation_number(value) if isinstance(value, str) else value

    def formfield(self, **kwargs: Any) -> forms.Field:
        return super().formfield(**{"form_class": OrganisationNumberFormField, **kwargs})
