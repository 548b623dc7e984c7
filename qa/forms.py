"""Forms only validate; the services re-check everything they rely on."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class AskForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
        error_messages={"required": _("Write your question before you send it.")},
    )
    # One per rendered form: sending the same form twice (a double click, or sending again after
    # the connection dropped before the answer came) stores one question.
    request_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    show_company = forms.BooleanField(
        label=_("Show my company name with the question"),
        required=False,
        help_text=_(
            "If you leave this unticked, other suppliers do not see who asked. The buyer always "
            "sees who asked."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_token", uuid.uuid4())
        limit = settings.QA_QUESTION_MAX_LENGTH
        self.fields["text"].max_length = limit
        self.fields["text"].widget.attrs["maxlength"] = str(limit)
        self.fields["text"].validators.append(MaxLengthValidator(limit))
        self.fields["text"].help_text = _("Plain text, at most %(max)d characters.") % {
            "max": limit
        }


class VersionedForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ApproveForm(VersionedForm):
    text = forms.CharField(label=_("Wording to publish"), required=False, widget=forms.Textarea)


class RejectForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason (shown to the asker and in the public log; do not name the asker)"),
        max_length=1000,
    )


class MergeForm(VersionedForm):
    into = forms.IntegerField(
        label=_("Merge into question number"), min_value=1, max_value=2**63 - 1
    )


class TagForm(VersionedForm):
    topics = forms.CharField(label=_("Topics"), required=False, max_length=200)


class PinForm(VersionedForm):
    pinned = forms.BooleanField(required=False, widget=forms.HiddenInput)


class AnswerForm(VersionedForm):
    text = forms.CharField(label=_("Written answer (published to all)"), widget=forms.Textarea)


MODERATION_FORMS: dict[str, type[VersionedForm]] = {
    "approve": ApproveForm,
    "reject": RejectForm,
    "merge": MergeForm,
    "tag": TagForm,
    "pin": PinForm,
    "answered-live": VersionedForm,
    "answer": AnswerForm,
}
