"""Personal entry links: several per registration, none revoked by a new one or by someone
re-registering the address; revoked deliberately by staff or by the supplier ("sign out
everywhere"); refused with a translated page once revoked or past the retention period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from dialogkonferanse.audit.log import snapshot
from dialogkonferanse.models import AuditEntry, OutboundEmail
from registrations.access import SESSION_KEY
from registrations.choices import EmailKind
from registrations.entry_links import issue_entry_link
from registrations.expiry import add_months
from registrations.models import PersonalLink, Registration
from registrations.retention import anonymise_registration
from registrations.selectors import get_registration_by_token
from registrations.services import (
    register_supplier,
    revoke_personal_links,
    send_access_link,
)
from registrations.tokens import hash_token
from tests.factories import make_conference, make_personal_link, make_registration
from tests.registrations.test_services import _details

pytestmark = pytest.mark.django_db


def _client(lang: str = "en") -> Client:
    return Client(headers={"accept-language": lang})


def _open(client: Client, token: str, target: str = ""):
    path = f"/r/{token}/" + (f"{target}/" if target else "")
    return client.get(path)


def _personal_url(conference: Conference) -> str:
    return reverse("registrations:personal", kwargs={"slug": conference.slug})


# --- Issuing ----------------------------------------------------------------------------------


def test_issue_entry_link_stores_only_the_hash_and_needs_128_bits(conference):
    registration = make_registration(conference=conference)

    link = issue_entry_link(registration=registration, purpose="test", target="stream")

    row = PersonalLink.objects.get()
    assert (row.registration, row.token_hash, row.purpose) == (
        registration,
        hash_token(link.token),
        "test",
    )
    assert len(link.token) * 6 >= 128
    assert link.url == f"http://127.0.0.1:8000/r/{link.token}/stream/"
    assert link.url_for("personal") == f"http://127.0.0.1:8000/r/{link.token}/"
    assert link.token not in repr(link)


def test_issue_entry_link_of_a_closed_conference_expires_with_its_retention(conference):
    closed_at = timezone.now() - dt.timedelta(days=3)
    Conference.objects.filter(pk=conference.pk).update(
        status=ConferenceStatus.CLOSED, closed_at=closed_at, retention_months=6
    )
    registration = make_registration(conference=Conference.objects.get(pk=conference.pk))

    issue_entry_link(registration=registration, purpose="test")

    assert PersonalLink.objects.get().expires_at == add_months(closed_at, 6)


def test_new_link_leaves_the_earlier_links_working(conference):
    registration = make_registration(conference=conference, token="first-token")

    send_access_link(conference_id=conference.pk, email=registration.email)
    send_access_link(conference_id=conference.pk, email=registration.email)

    assert registration.personal_links.count() == 3
    assert registration.personal_links.filter(revoked_at__isnull=False).count() == 0
    assert _open(_client(), "first-token").status_code == 302


def test_reregistering_an_address_changes_nothing_and_keeps_every_link(conference):
    receipt = register_supplier(conference_id=conference.pk, details=_details(language="en"))
    registration = Registration.objects.get()
    before = snapshot(registration)
    links_before = list(registration.personal_links.values_list("token_hash", "revoked_at"))
    signed_in = _client()
    assert _open(signed_in, receipt.token).status_code == 302

    stranger = register_supplier(
        conference_id=conference.pk,
        details=_details(
            organisation_name="Someone Else AS",
            contact_name="Mallory",
            phone="+47 999 99 999",
            email="KARI@fjordsensor.example",
            wants_one_to_one=False,
            language="nn",
        ),
    )

    registration.refresh_from_db()
    assert snapshot(registration) == before  # no field changed, the session secret included
    assert (
        list(
            registration.personal_links.exclude(token_hash=hash_token(stranger.token)).values_list(
                "token_hash", "revoked_at"
            )
        )
        == links_before
    )
    assert get_registration_by_token(token=receipt.token) == registration
    assert signed_in.get(_personal_url(conference)).status_code == 200
    already = OutboundEmail.objects.get(kind=EmailKind.ALREADY)
    assert "nothing was changed" in already.body_text  # in the owner's language, not the stranger's
    assert "the links we sent you earlier keep working" in already.body_text
    assert "no longer work" not in already.body_text
    assert stranger.token not in already.body_text  # the record keeps the body redacted


# --- Opening a link ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("", "/me/fyrdialog/"),
        ("stream", "/me/fyrdialog/stream/"),
        ("meeting", "/me/fyrdialog/meeting/"),
    ],
)
def test_entry_link_signs_in_and_opens_its_page(conference, target, landing):
    registration = make_registration(conference=conference, token="tok-entry")
    client = _client()

    response = _open(client, "tok-entry", target)

    assert (response.status_code, response["Location"]) == (302, landing)
    assert response["Referrer-Policy"] == "no-referrer"
    assert client.session[SESSION_KEY] == {
        "fyrdialog": [registration.pk, registration.session_secret]
    }
    assert registration.personal_links.get().last_used_at is not None


@pytest.mark.parametrize(
    "target", ["elsewhere", "admin", "https:", "%2F%2Fevil.example", "..", "stream/extra"]
)
def test_entry_link_with_an_unknown_target_goes_nowhere(conference, target):
    make_registration(conference=conference, token="tok-entry")
    client = _client()

    response = client.get(f"/r/tok-entry/{target}/")

    assert response.status_code == 404
    assert SESSION_KEY not in client.session
    assert "evil.example" not in response.get("Location", "")


@pytest.mark.parametrize(
    ("lang", "heading", "explanation"),
    [
        ("en", "This link does not work", "This personal link has been revoked"),
        ("nb", "Denne lenken virker ikke", "Denne personlige lenken er trukket tilbake"),
        ("nn", "Denne lenkja verkar ikkje", "Denne personlege lenkja er trekt tilbake"),
    ],
)
def test_revoked_link_is_refused_with_a_translated_page(conference, lang, heading, explanation):
    registration = make_registration(conference=conference, token="tok-revoked")
    revoke_personal_links(registration_id=registration.pk)
    client = _client(lang)

    response = _open(client, "tok-revoked", "stream")

    body = response.content.decode()
    assert response.status_code == 410
    assert (heading in body, explanation in body) == (True, True)
    assert reverse("registrations:resend", kwargs={"slug": conference.slug}) in body
    assert SESSION_KEY not in client.session


def test_link_past_the_retention_period_is_refused_with_a_translated_page(conference):
    registration = make_registration(conference=conference, token="tok-old")
    Conference.objects.filter(pk=conference.pk).update(
        status=ConferenceStatus.CLOSED,
        closed_at=timezone.now() - dt.timedelta(days=400),
        retention_months=12,
    )

    response = _open(_client("nb"), "tok-old")

    assert response.status_code == 410
    assert "Denne personlige lenken er utløpt" in response.content.decode()
    assert get_registration_by_token(token="tok-old") is None
    assert registration.personal_links.get().revoked_at is None  # refused by date, not revoked


def test_link_with_its_own_expiry_passed_is_refused(conference):
    registration = make_registration(conference=conference)
    make_personal_link(
        registration, token="tok-expired", expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert _open(_client(), "tok-expired").status_code == 410


# --- Revoking ---------------------------------------------------------------------------------


def test_revoke_personal_links_ends_every_link_and_session_and_is_audited(conference):
    registration = make_registration(conference=conference, token="tok-a")
    make_personal_link(registration, token="tok-b")
    phone, laptop = _client(), _client()
    _open(phone, "tok-a")
    _open(laptop, "tok-b")

    count = revoke_personal_links(registration_id=registration.pk, by_supplier=True)

    assert count == 2
    assert registration.personal_links.filter(revoked_at__isnull=True).count() == 0
    assert phone.get(_personal_url(conference)).status_code == 403
    assert laptop.get(_personal_url(conference)).status_code == 403
    entry = AuditEntry.objects.get(action="revoke_links")
    assert (entry.actor_repr, entry.registration_id) == ("system", registration.pk)
    assert entry.note == "The supplier signed out everywhere: 2 personal links revoked."
    # A new link works again afterwards.
    send_access_link(conference_id=conference.pk, email=registration.email)
    assert registration.personal_links.filter(revoked_at__isnull=True).count() == 1


def test_sign_out_everywhere_asks_first_then_signs_out_every_device(conference):
    registration = make_registration(conference=conference, token="tok-a")
    make_personal_link(registration, token="tok-b")
    phone, laptop = _client(), _client()
    _open(phone, "tok-a")
    _open(laptop, "tok-b")
    url = reverse("registrations:sign_out_everywhere", kwargs={"slug": conference.slug})

    confirm = phone.get(url)

    assert confirm.status_code == 200
    assert "Yes, sign out everywhere" in confirm.content.decode()
    assert registration.personal_links.filter(revoked_at__isnull=True).count() == 2

    done = phone.post(url, follow=True)

    assert done.redirect_chain == [(f"/conferences/{conference.slug}/my-link/", 302)]
    assert "You are signed out on every device" in done.content.decode()
    assert registration.personal_links.filter(revoked_at__isnull=True).count() == 0
    assert laptop.get(_personal_url(conference)).status_code == 403
    assert phone.get(_personal_url(conference)).status_code == 403
    assert _open(_client(), "tok-a").status_code == 410


def test_sign_out_everywhere_needs_a_signed_in_browser(conference):
    registration = make_registration(conference=conference, token="tok-a")
    url = reverse("registrations:sign_out_everywhere", kwargs={"slug": conference.slug})

    response = _client().post(url)

    assert response.status_code == 403
    assert registration.personal_links.filter(revoked_at__isnull=True).count() == 1


def test_personal_page_offers_sign_out_everywhere(conference):
    make_registration(conference=conference, token="tok-a")
    client = _client("nb")
    _open(client, "tok-a")

    body = client.get(_personal_url(conference)).content.decode()

    assert "Logg ut overalt" in body
    assert reverse("registrations:sign_out_everywhere", kwargs={"slug": conference.slug}) in body


# --- Retention ---------------------------------------------------------------------------------


def test_anonymisation_deletes_every_personal_link(conference):
    registration = make_registration(conference=conference, token="tok-a")
    make_personal_link(registration, token="tok-b", revoked_at=timezone.now())

    anonymise_registration(registration_id=registration.pk, reason="Request")

    assert PersonalLink.objects.filter(registration=registration).count() == 0
    assert _open(_client(), "tok-a").status_code == 404


# --- The migration ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_moves_each_stored_token_into_a_working_link():
    executor = MigrationExecutor(connection)
    before = [("registrations", "0006_header_safe_names_and_address")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    conference = make_conference()
    OldRegistration = old_apps.get_model("registrations", "Registration")
    common = {
        "conference_id": conference.pk,
        "organisation_name": "Fjordsensor AS",
        "contact_name": "Kari",
        "organisation_number": "974760673",
        "privacy_acknowledged_at": timezone.now(),
    }
    with_link = OldRegistration.objects.create(
        email="a@example.no", token_hash=hash_token("emailed-before"), **common
    )
    OldRegistration.objects.create(email="b@example.no", token_hash=None, **common)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert list(PersonalLink.objects.values_list("registration_id", "revoked_at")) == [
        (with_link.pk, None)
    ]
    assert get_registration_by_token(token="emailed-before").pk == with_link.pk
