from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dialogkonferanse.common.spreadsheet import neutralise_cell
from dialogkonferanse.models import AuditEntry, OutboundEmail
from registrations.choices import EmailKind
from registrations.selectors import get_registration_by_token
from registrations.services import register_supplier
from tests.factories import make_conference, make_personal_link, make_registration, make_user
from tests.registrations.test_services import _details

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registrations_registration_changelist"


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(superuser=True))
    return client


def _changelist_queries(admin_client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_registration_changelist_queries_same_for_1_and_50_rows(
    admin_client, django_assert_num_queries
):
    conference = make_conference()
    make_registration(conference=conference)
    with_one = _changelist_queries(admin_client)
    for _ in range(49):
        make_registration(conference=make_conference())

    with django_assert_num_queries(with_one):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.context["cl"].result_count == 50


def test_registration_changelist_filters_and_search(admin_client):
    conference = make_conference()
    make_registration(conference=conference, organisation_name="Fjordsensor AS", country="NO")
    make_registration(conference=conference, organisation_name="Baltic AB", country="SE")

    response = admin_client.get(reverse(CHANGELIST), {"country__exact": "SE", "cancelled": "no"})
    searched = admin_client.get(reverse(CHANGELIST), {"q": "fjordsensor"})

    assert [r.organisation_name for r in response.context["cl"].result_list] == ["Baltic AB"]
    assert [r.organisation_name for r in searched.context["cl"].result_list] == ["Fjordsensor AS"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+47 400 00 000", "'+47 400 00 000"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Fjordsensor AS", "Fjordsensor AS"),
        ("", ""),
    ],
)
def test_neutralise_cell_formula_prefixes(value, expected):
    assert neutralise_cell(value) == expected


def test_export_csv_action_neutralises_formula_cells(admin_client):
    conference = make_conference(title="Fyrdialog")
    registration = make_registration(
        conference=conference,
        organisation_name="=cmd|' /C calc'!A0",
        contact_name="@Kari",
        phone="+47 400 00 000",
    )

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "export_csv", "_selected_action": [registration.pk]}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    header, row = rows
    by_column = dict(zip(header, row, strict=True))
    assert by_column["Organisation"] == "'=cmd|' /C calc'!A0"
    assert by_column["Contact person"] == "'@Kari"
    assert by_column["Phone"] == "'+47 400 00 000"
    assert by_column["Conference"] == "Fyrdialog"


def test_resend_access_link_action_adds_a_link_and_keeps_the_old_one(admin_client):
    registration = make_registration(token="old")

    admin_client.post(
        reverse(CHANGELIST),
        {"action": "resend_access_link", "_selected_action": [registration.pk]},
    )

    assert registration.personal_links.filter(revoked_at__isnull=True).count() == 2
    assert get_registration_by_token(token="old") == registration
    assert list(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.LINK, registration.email)
    ]


def test_revoke_link_action_leaves_no_valid_link(admin_client):
    registration = make_registration(token="old")
    make_personal_link(registration, token="second")

    admin_client.post(
        reverse(CHANGELIST), {"action": "revoke_link", "_selected_action": [registration.pk]}
    )

    assert (
        get_registration_by_token(token="old"),
        get_registration_by_token(token="second"),
        OutboundEmail.objects.count(),
    ) == (None, None, 0)
    entry = AuditEntry.objects.get(action="revoke_links")
    assert (entry.registration_id, entry.actor.is_superuser) == (registration.pk, True)
    assert entry.note == "Staff revoked all personal links: 2 links."


def test_registration_change_page_shows_token_state_and_emails(admin_client):
    conference = make_conference()
    receipt = register_supplier(conference_id=conference.pk, details=_details(language="en"))
    url = reverse("admin:registrations_registration_change", args=[receipt.registration_id])

    html = admin_client.get(url).content.decode()

    assert "1 personal link works" in html
    assert "<td>registration_confirmation</td>" in html
    assert f"You are registered: {conference.title}" in html
    assert receipt.token not in html
    assert "queued" in html


def test_registration_change_page_without_link_says_so(admin_client):
    registration = make_registration()

    html = admin_client.get(
        reverse("admin:registrations_registration_change", args=[registration.pk])
    ).content.decode()

    assert "No valid link" in html


# --- DOMAIN.md rule 6 in the admin: the model refuses what the public form refuses ----------

INVALID_NUMBER = (
    "This is not a valid Norwegian organisation number. Check the nine digits, "
    "for example 974 760 673."
)
MISSING_NUMBER = "Enter the organisation number: it is required for Norwegian suppliers."


def _post_change(admin_client, registration, **overrides):
    data = {
        "organisation_name": registration.organisation_name,
        "country": registration.country,
        "organisation_number": registration.organisation_number,
        "national_id": registration.national_id,
        "contact_name": registration.contact_name,
        "email": registration.email,
        "phone": registration.phone,
        "language": registration.language,
        "one_to_one_topics": registration.one_to_one_topics,
    }
    data.update(overrides)
    return admin_client.post(
        reverse("admin:registrations_registration_change", args=[registration.pk]), data
    )


def _field_errors(response, name: str) -> list[str]:
    return response.context["adminform"].form.errors.get(name, [])


@pytest.mark.parametrize(
    ("number", "message"),
    [("988077918", INVALID_NUMBER), ("988 077 918", INVALID_NUMBER), ("", MISSING_NUMBER)],
)
def test_registration_admin_change_refuses_norwegian_number(admin_client, number, message):
    registration = make_registration(organisation_number="974760673")

    response = _post_change(admin_client, registration, organisation_number=number)

    registration.refresh_from_db()
    assert response.status_code == 200
    assert _field_errors(response, "organisation_number") == [message]
    assert response.context["adminform"].form.non_field_errors() == []
    html = response.content.decode()
    assert html.index(message) > html.index('class="form-row errors field-organisation_number')
    assert registration.organisation_number == "974760673"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("123456785", "123456785"),
        ("974760673", "974760673"),
        ("123 456 785", "123456785"),
        (" 974 760 673 ", "974760673"),
    ],
)
def test_registration_admin_change_accepts_valid_number(admin_client, typed, stored):
    registration = make_registration(organisation_number="974760673")

    response = _post_change(admin_client, registration, organisation_number=typed)

    registration.refresh_from_db()
    assert response.status_code == 302
    assert registration.organisation_number == stored


def test_registration_admin_change_accepts_foreign_supplier_with_national_id(admin_client):
    registration = make_registration(organisation_number="974760673")

    response = _post_change(
        admin_client,
        registration,
        country="SE",
        organisation_number="",
        national_id="SE556000000001",
    )

    registration.refresh_from_db()
    assert response.status_code == 302
    assert (registration.country, registration.organisation_number, registration.national_id) == (
        "SE",
        "",
        "SE556000000001",
    )


def test_registration_admin_change_page_takes_the_number_with_spaces(admin_client):
    registration = make_registration()

    html = admin_client.get(
        reverse("admin:registrations_registration_change", args=[registration.pk])
    ).content.decode()

    [field] = re.findall(r"<input[^>]*name=\"organisation_number\"[^>]*>", html)
    assert "maxlength" not in field
    assert 'inputmode="numeric"' in field


def test_registration_admin_add_is_not_offered(admin_client):
    """Suppliers register through the public form; the change form is the admin's only path."""
    response = admin_client.get(reverse("admin:registrations_registration_add"))

    assert response.status_code == 403
