"""What the shared admin mixins leave staff (here a superuser, who holds every model permission)
on each model that uses them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from conferences.models import PackageChange, StatusChange
from dialogkonferanse.models import AuditEntry, OutboundAttachment, OutboundEmail
from meetings.models import Meeting, MeetingEvent, WaitingListEntry
from qa.models import AnswerDigest, Attendance, LiveEvent, Question
from registrations.models import Registration
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _permissions(model_admin, user) -> tuple[bool, bool, bool]:
    request = RequestFactory().get("/admin/")
    request.user = user
    return (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
    )


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (AuditEntry, (False, False, False)),
        (MeetingEvent, (False, False, False)),
        (PackageChange, (False, False, False)),
        (Registration, (False, True, False)),
        (Meeting, (False, True, False)),
        (WaitingListEntry, (False, True, False)),
        (Question, (False, True, False)),
        (OutboundEmail, (False, True, False)),
        (Attendance, (False, True, True)),
        (AnswerDigest, (False, True, True)),
        (LiveEvent, (False, True, True)),
    ],
)
def test_admin_mixins_model_admin_permissions(model, expected):
    assert _permissions(admin.site._registry[model], make_user(superuser=True)) == expected


@pytest.mark.parametrize(
    ("parent", "inline_model", "expected"),
    [
        (OutboundEmail, OutboundAttachment, (False, True, False)),
        ("conferences.Conference", StatusChange, (False, False, False)),
    ],
)
def test_admin_mixins_inline_permissions(parent, inline_model, expected):
    from django.apps import apps

    parent_model = apps.get_model(parent) if isinstance(parent, str) else parent
    model_admin = admin.site._registry[parent_model]
    (inline,) = [i for i in model_admin.inlines if i.model is inline_model]
    request = RequestFactory().get("/admin/")
    request.user = make_user(superuser=True)
    instance = inline(parent_model, admin.site)

    formset = instance.get_formset(request, None)

    # What the change form offers: no extra (add) rows, editable or read-only rows, deletion.
    assert (
        instance.has_add_permission(request, None),
        instance.has_change_permission(request, None),
        formset.can_delete,
    ) == expected
