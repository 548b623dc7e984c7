"""Forms of the meetings app. They only validate; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import AllocationMethod


class SlotChoiceForm(forms.Form):
    """The slot a supplier picks. Whether it is theirs to take is the service's question."""

    slot = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class MoveMeetingForm(forms.Form):
    """Staff: the free slot a meeting moves to (choices filled by the admin view)."""

    slot = forms.TypedChoiceField(label=_("Move to"), coerce=int)

    def __init__(self, *args: object, slot_choices: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["slot"].choices = slot_choices  # type: ignore[attr-defined]


class AllocationForm(forms.Form):
    """Staff: how to allocate. An empty seed draws one (and records it)."""

    method = forms.ChoiceField(label=_("Order"), choices=AllocationMethod.choices)
    seed = forms.IntegerField(
        label=_("Lottery seed"),
        required=False,
        min_value=0,
        max_value=2**62 - 1,
        help_text=_("Leave empty to draw one. The same seed gives the same order again."),
    )
