"""The admin site answers an impossible action selection with the 400 page, not a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from dialogkonferanse.common.admin_site import DialogAdminSite
from tests.factories import make_conference, make_registration, make_user

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registrations_registration_changelist"


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(superuser=True))
    return client


def test_admin_site_is_the_projects():
    assert isinstance(admin.site, DialogAdminSite)


@pytest.mark.parametrize("selected", ["abc", "1 OR 1=1", "99999999999999999999999", "-1e5"])
def test_admin_action_impossible_selection_is_400(staff_client, selected):
    registration = make_registration(conference=make_conference())

    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "export_csv", "_selected_action": [registration.pk, selected]},
        HTTP_ACCEPT_LANGUAGE="nb",
    )

    assert response.status_code == 400
    assert "Ugyldig forespørsel" in response.content.decode()


def test_admin_action_possible_selection_still_runs(staff_client):
    registration = make_registration(conference=make_conference(), organisation_name="Fyr AS")

    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "export_csv", "_selected_action": [registration.pk, 2**62]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "Fyr AS" in response.content.decode("utf-8-sig")
