"""Forms of the meetings app. They only validate; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from registrations.validators import validate_multiline_text

from .choices import AllocationMethod

# Seconds since the epoch up to the year 2100: anything larger is not a meeting time.
_LATEST_TIME = 4_102_444_800


class TimeChoiceForm(forms.Form):
    """The meeting time a supplier picks (whole seconds since the epoch, as the picker sends
    it). Teams are internal: the service assigns one. Whether the time is free is the
    service's question."""

    time = forms.IntegerField(min_value=0, max_value=_LATEST_TIME, widget=forms.HiddenInput)

    def clean_time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.cleaned_data["time"], tz=dt.UTC)


class MeetingRequestForm(forms.Form):
    """A registered supplier asks for a one-to-one meeting: the topics, as at registration."""

    topics = forms.CharField(
        label=_("Topics you want to raise in the meeting"),
        max_length=2000,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "May be released on request under the Freedom of Information Act; mark any "
            "business secrets."
        ),
    )


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
