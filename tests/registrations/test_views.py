from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conferences.choices import ConferenceStatus
from dialogkonferanse.models import OutboundEmail
from registrations.access import SESSION_KEY
from registrations.choices import EmailKind
from registrations.models import Registration
from registrations.services import (
    reissue_access_link,
    request_access_link,
    revoke_personal_links,
)
from tests.factories import make_conference, make_personal_link, make_registration
from tests.registrations.conftest import without_csrf

pytestmark = pytest.mark.django_db


def _register_url(conference) -> str:
    return reverse("registrations:register", kwargs={"slug": conference.slug})


def _personal_url(conference) -> str:
    return reverse("registrations:personal", kwargs={"slug": conference.slug})


def _open_link(client, token: str):
    return client.get(reverse("registrations:access", kwargs={"token": token}))


# --- The registration form ------------------------------------------------------------------


def test_register_get_shows_form_with_rules_before_submit(client, conference):
    conference.dialogue_rules = "Regel: alt som blir sagt, blir publisert."
    conference.save()

    response = client.get(_register_url(conference))

    html = response.content.decode()
    assert response.status_code == 200
    form = html[html.index('class="registration-form"') :]
    submit = form.index('<button type="submit" class="btn btn-primary">Register</button>')
    assert form.index("Taking part is voluntary.") < submit
    assert form.index("Regel: alt som blir sagt, blir publisert.") < submit
    assert form.index('name="privacy_acknowledged"') < submit
    assert '<option value="NO" selected>' in html
    assert 'name="wants_one_to_one"' in html
    assert "<script>" not in html
    assert "style=" not in html


def test_register_get_no_one_to_one_offered_hides_the_choice(client):
    conference = make_conference(offers_one_to_one=False)

    html = client.get(_register_url(conference)).content.decode()

    assert 'name="wants_one_to_one"' not in html


def _form_markup(html: str) -> str:
    start = html.index('class="registration-form"')
    return html[start : html.index('class="dialogue-rules', start)]


def test_register_get_empty_form_markup_kept_per_conference_version(client, conference):
    first = _form_markup(client.get(_register_url(conference)).content.decode())
    again = _form_markup(client.get(_register_url(conference)).content.decode())
    before = conference.updated_at
    conference.offers_one_to_one = False
    conference.save()

    changed = _form_markup(client.get(_register_url(conference)).content.decode())

    kept = cache.get(
        make_template_fragment_key("registration_form", [conference.pk, before.isoformat(), "en"])
    )
    assert 'name="wants_one_to_one"' in first
    assert 'name="wants_one_to_one"' in kept
    # Only the CSRF token differs between visitors.
    assert (
        first.split('name="csrfmiddlewaretoken"')[1].split(">", 1)[1]
        == (again.split('name="csrfmiddlewaretoken"')[1].split(">", 1)[1])
    )
    assert 'name="wants_one_to_one"' not in changed  # a change shows at once


def test_register_get_empty_form_markup_kept_per_language(conference):
    english = Client(headers={"accept-language": "en"}).get(_register_url(conference))
    nynorsk = Client(headers={"accept-language": "nn"}).get(_register_url(conference))

    assert "Organisation" in _form_markup(english.content.decode())
    assert "Organisasjon" in _form_markup(nynorsk.content.decode())
    assert "Contact person" not in _form_markup(nynorsk.content.decode())


def test_register_post_invalid_form_is_not_the_kept_empty_one(client, conference, form_data):
    client.get(_register_url(conference))  # the empty form is now kept

    response = client.post(_register_url(conference), form_data(email="not-an-address"))

    markup = _form_markup(response.content.decode())
    assert 'aria-invalid="true"' in markup
    assert 'value="not-an-address"' in markup


def test_register_post_valid_redirects_to_neutral_page_and_stores(client, conference, form_data):
    response = client.post(_register_url(conference), form_data())

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "registrations:registered", kwargs={"slug": conference.slug}
    )
    registration = Registration.objects.get()
    assert (registration.organisation_number, registration.email, registration.language) == (
        "974760673",
        "kari@fjordsensor.example",
        "nb",
    )
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == [EmailKind.CONFIRMATION]


def test_register_post_duplicate_is_indistinguishable_from_new(client, conference, form_data):
    first = client.post(_register_url(conference), form_data(), follow=True)

    second = client.post(
        _register_url(conference),
        form_data(email="KARI@fjordsensor.example", organisation_name="Annet AS"),
        follow=True,
    )

    assert first.redirect_chain == second.redirect_chain
    assert without_csrf(first.content) == without_csrf(second.content)
    assert Registration.objects.count() == 1
    assert list(OutboundEmail.objects.order_by("pk").values_list("kind", flat=True)) == [
        EmailKind.CONFIRMATION,
        EmailKind.ALREADY,
    ]


def test_register_post_invalid_shows_errors_tied_to_fields(client, conference, form_data):
    response = client.post(_register_url(conference), form_data(organisation_number="988077918"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_organisation_number"' in html  # error summary links to the field
    assert 'aria-invalid="true"' in html or "is-invalid" in html
    assert "This is not a valid Norwegian organisation number." in html
    assert Registration.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"status": ConferenceStatus.CLOSED},
            "The dialogue is closed: the competition has been announced",
        ),
        (
            {"registration_opens_at": timezone.now() + dt.timedelta(days=1)},
            "Registration has not opened yet.",
        ),
        (
            {"registration_closes_at": timezone.now() - dt.timedelta(minutes=1)},
            "Registration closed ",
        ),
    ],
)
def test_register_post_not_open_shows_message_and_stores_nothing(
    client, form_data, overrides, message
):
    conference = make_conference(**overrides)

    response = client.post(_register_url(conference), form_data())

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'name="organisation_name"' not in html
    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)


def test_register_draft_conference_is_not_found_for_the_public(client, form_data):
    conference = make_conference(status=ConferenceStatus.DRAFT)

    response = client.post(_register_url(conference), form_data())

    assert response.status_code == 404
    assert Registration.objects.count() == 0


def test_register_rate_limit_answers_429(client, conference, form_data, settings):
    settings.REGISTRATION_RATE_LIMIT = "2/h"
    url = _register_url(conference)

    statuses = [client.post(url, form_data(email=f"k{i}@example.no")).status_code for i in range(3)]

    response = client.post(url, form_data(email="k9@example.no"))
    assert statuses == [302, 302, 429]
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page
    retry_after = int(response["Retry-After"])
    assert retry_after > 0
    minutes = -(-retry_after // 60)
    assert f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}." in page
    assert Registration.objects.count() == 2


def test_register_submissions_with_errors_do_not_use_up_the_rate_limit(
    client, conference, form_data, settings
):
    """A supplier correcting a typo again and again is not locked out: only a valid
    submission (which sends an email) counts."""
    settings.REGISTRATION_RATE_LIMIT = "2/h"
    url = _register_url(conference)

    invalid = [client.post(url, form_data(email="not-an-address")).status_code for _ in range(5)]
    valid = [client.post(url, form_data(email=f"k{i}@example.no")).status_code for i in range(3)]

    assert (invalid, valid) == ([200] * 5, [302, 302, 429])
    assert Registration.objects.count() == 2


def test_the_rate_limit_page_says_how_long_to_wait_in_norwegian(client, conference, settings):
    settings.REGISTRATION_RESEND_RATE_LIMIT = "1/h"
    url = reverse("registrations:resend", kwargs={"slug": conference.slug})
    client.post(url, {"email": "kari@example.no"})

    response = client.post(url, {"email": "kari@example.no"}, HTTP_ACCEPT_LANGUAGE="nn")

    assert response.status_code == 429
    minutes = -(-int(response["Retry-After"]) // 60)
    assert f"Prøv igjen om {minutes} minutt." in response.content.decode()


def test_register_rate_limit_is_per_client_address(client, conference, form_data, settings):
    settings.REGISTRATION_RATE_LIMIT = "1/h"
    url = _register_url(conference)
    client.post(url, form_data(email="a@example.no"), REMOTE_ADDR="10.0.0.1")

    other = client.post(url, form_data(email="b@example.no"), REMOTE_ADDR="10.0.0.2")
    same = client.post(url, form_data(email="c@example.no"), REMOTE_ADDR="10.0.0.1")

    assert (other.status_code, same.status_code) == (302, 429)


def test_register_and_resend_limit_per_target_address_from_any_client(
    client, conference, form_data, settings
):
    settings.REGISTRATION_ADDRESS_RATE_LIMIT = "2/h"
    make_registration(conference=conference, email="kari@fjordsensor.example")
    register_url = _register_url(conference)
    resend_url = reverse("registrations:resend", kwargs={"slug": conference.slug})

    statuses = [
        client.post(
            register_url, form_data(email="Kari@Fjordsensor.example"), REMOTE_ADDR="10.0.0.1"
        ).status_code,
        client.post(
            resend_url, {"email": "kari@fjordsensor.example"}, REMOTE_ADDR="10.0.0.2"
        ).status_code,
        client.post(
            resend_url, {"email": "kari@fjordsensor.example"}, REMOTE_ADDR="10.0.0.3"
        ).status_code,
    ]
    unknown = client.post(resend_url, {"email": "ola@example.no"}, REMOTE_ADDR="10.0.0.4")

    assert statuses == [302, 302, 429]
    assert unknown.status_code == 302
    assert OutboundEmail.objects.filter(to_email__iexact="kari@fjordsensor.example").count() == 1


_text = st.text(max_size=300)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    organisation_name=_text,
    country=st.one_of(st.sampled_from(["NO", "SE", "DE"]), _text),
    organisation_number=_text,
    national_id=_text,
    contact_name=_text,
    email=st.one_of(st.emails(), _text),
    phone=_text,
    language=st.one_of(st.sampled_from(["nb", "nn", "en"]), _text),
    topics=_text,
)
def test_register_post_arbitrary_text_never_fails_with_500(
    client,
    conference,
    no_rate_limits,
    organisation_name,
    country,
    organisation_number,
    national_id,
    contact_name,
    email,
    phone,
    language,
    topics,
):
    data = {
        "organisation_name": organisation_name,
        "country": country,
        "organisation_number": organisation_number,
        "national_id": national_id,
        "contact_name": contact_name,
        "email": email,
        "phone": phone,
        "language": language,
        "wants_one_to_one": "on",
        "one_to_one_topics": topics,
        "privacy_acknowledged": "on",
    }

    response = client.post(_register_url(conference), data)

    assert response.status_code in (200, 302)
    for registration in Registration.objects.all():
        assert "\r" not in registration.contact_name + registration.organisation_name
        assert "\n" not in registration.contact_name + registration.organisation_name


# --- Resend my link -------------------------------------------------------------------------


def test_resend_post_known_and_unknown_answer_the_same(client, conference):
    make_registration(conference=conference, email="kjent@example.no")
    url = reverse("registrations:resend", kwargs={"slug": conference.slug})

    known = client.post(url, {"email": "kjent@example.no"}, follow=True)
    unknown = client.post(url, {"email": "ukjent@example.no"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert "a new personal link is on its way" in known.content.decode()


def test_resend_rate_limit_answers_429(client, conference, settings):
    settings.REGISTRATION_RESEND_RATE_LIMIT = "1/h"
    url = reverse("registrations:resend", kwargs={"slug": conference.slug})
    client.post(url, {"email": "a@example.no"})

    response = client.post(url, {"email": "a@example.no"})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


# --- The personal link and page -------------------------------------------------------------


def test_access_valid_token_sets_session_and_redirects_without_token(client, conference):
    registration = make_registration(conference=conference, token="tok-a")

    response = _open_link(client, "tok-a")

    assert response.status_code == 302
    assert response["Location"] == _personal_url(conference)
    assert "tok-a" not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert client.session[SESSION_KEY] == {
        conference.slug: [registration.pk, registration.session_secret]
    }


def test_personal_page_shows_registration_with_private_headers(client, conference):
    make_registration(
        conference=conference,
        token="tok-a",
        organisation_name="Fjordsensor AS",
        wants_one_to_one=True,
        one_to_one_topics="Bøyer",
    )
    _open_link(client, "tok-a")

    response = client.get(_personal_url(conference))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Fjordsensor AS" in html
    # No meeting setup yet: the one meeting status says so, and promises no email.
    assert "Requested. The buyer has not published the meeting times yet" in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert reverse("registrations:calendar", kwargs={"slug": conference.slug}) in html


def test_access_unknown_token_is_refused(client, conference):
    make_registration(conference=conference, token="tok-a")

    response = _open_link(client, "tok-b")

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert SESSION_KEY not in client.session


def test_access_token_never_written_to_logs(client, conference, caplog):
    caplog.set_level(logging.INFO)

    _open_link(client, "secret-token-in-the-path")

    assert "secret-token-in-the-path" not in caplog.text
    assert "/r/[redacted]/" in caplog.text


def test_personal_page_a_session_never_opens_b(client, conference):
    other_conference = make_conference()
    make_registration(conference=conference, token="tok-a", organisation_name="A AS")
    make_registration(conference=conference, token="tok-b", organisation_name="B AS")
    make_registration(conference=other_conference, token="tok-c", organisation_name="C AS")
    _open_link(client, "tok-a")

    own = client.get(_personal_url(conference)).content.decode()
    foreign = client.get(_personal_url(other_conference))

    assert ("A AS" in own, "B AS" in own) == (True, False)
    assert foreign.status_code == 403
    assert "C AS" not in foreign.content.decode()


def test_personal_page_forged_session_entry_is_refused(client, conference):
    make_registration(conference=conference, token="tok-a")
    victim = make_registration(conference=conference, token="tok-b", organisation_name="B AS")
    _open_link(client, "tok-a")
    session = client.session
    session[SESSION_KEY] = {conference.slug: [victim.pk, "0" * 64]}
    session.save()

    response = client.get(_personal_url(conference))

    assert response.status_code == 403
    assert "B AS" not in response.content.decode()


def test_personal_page_revoked_links_refuse_token_and_session(client, conference):
    registration = make_registration(conference=conference, token="tok-a")
    make_personal_link(registration, token="tok-b")
    _open_link(client, "tok-a")

    revoke_personal_links(registration_id=registration.pk)

    assert client.get(_personal_url(conference)).status_code == 403
    refused = _open_link(client, "tok-b")
    assert refused.status_code == 410
    assert "This personal link has been revoked" in refused.content.decode()
    assert SESSION_KEY not in client.session or not client.session[SESSION_KEY]


def test_personal_page_reissued_link_leaves_the_old_one_working(client, conference):
    registration = make_registration(conference=conference, token="tok-a")

    new_token = reissue_access_link(registration_id=registration.pk)

    assert _open_link(Client(), "tok-a").status_code == 302
    assert _open_link(client, new_token).status_code == 302
    assert client.get(_personal_url(conference)).status_code == 200


def test_personal_page_open_session_survives_a_new_link_requested_by_anyone(client, conference):
    """Someone who merely knows the address can get a new link sent, not sign the supplier out."""
    registration = make_registration(conference=conference, token="tok-a")
    _open_link(client, "tok-a")

    request_access_link(conference_id=conference.pk, email=registration.email)
    reissue_access_link(registration_id=registration.pk)

    assert client.get(_personal_url(conference)).status_code == 200
    assert _open_link(Client(), "tok-a").status_code == 302


def test_personal_page_without_session_asks_for_the_link(client, conference):
    response = client.get(_personal_url(conference))

    assert response.status_code == 403
    assert reverse("registrations:resend", kwargs={"slug": conference.slug}) in (
        response.content.decode()
    )


def test_personal_page_post_updates_contact_details(client, conference):
    registration = make_registration(conference=conference, token="tok-a", language="nb")
    _open_link(client, "tok-a")

    response = client.post(
        _personal_url(conference),
        {"contact_name": "Ny Kontakt", "phone": "+47 900 00 000", "language": "en"},
    )

    registration.refresh_from_db()
    assert response.status_code == 302
    assert (registration.contact_name, registration.phone, registration.language) == (
        "Ny Kontakt",
        "+47 900 00 000",
        "en",
    )
    assert registration.listed_publicly is False


def test_cancel_post_cancels_and_page_shows_cancelled_state(client, conference):
    registration = make_registration(conference=conference, token="tok-a")
    _open_link(client, "tok-a")

    client.post(reverse("registrations:cancel", kwargs={"slug": conference.slug}))

    registration.refresh_from_db()
    html = client.get(_personal_url(conference)).content.decode()
    assert registration.cancelled_at is not None
    assert "This registration was cancelled" in html
    assert "Register again" in html


def test_reinstate_post_after_cancel_makes_registration_active(client, conference):
    registration = make_registration(conference=conference, token="tok-a")
    _open_link(client, "tok-a")
    client.post(reverse("registrations:cancel", kwargs={"slug": conference.slug}))

    client.post(reverse("registrations:reinstate", kwargs={"slug": conference.slug}))

    registration.refresh_from_db()
    assert registration.cancelled_at is None


def test_calendar_download_is_plenary_with_stream_page(client, conference):
    make_registration(conference=conference, token="tok-a")
    _open_link(client, "tok-a")

    response = client.get(reverse("registrations:calendar", kwargs={"slug": conference.slug}))

    body = response.content.decode()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f"UID:conference-{conference.calendar_uid}@dialogkonferanse" in body
    assert "TZID=Europe/Oslo" in body
    assert response["Referrer-Policy"] == "same-origin"


def test_leave_post_forgets_registration_on_this_device(client, conference):
    make_registration(conference=conference, token="tok-a")
    _open_link(client, "tok-a")

    client.post(reverse("registrations:leave", kwargs={"slug": conference.slug}))

    assert client.get(_personal_url(conference)).status_code == 403


# --- Participant list on the conference page ------------------------------------------------


def test_conference_page_lists_opted_in_companies_without_personal_data(client, conference):
    make_registration(
        conference=conference,
        organisation_name="Synlig AS",
        contact_name="Skjult Person",
        email="skjult@synlig.example",
        listed_publicly=True,
        open_to_partnering=True,
    )
    make_registration(
        conference=conference,
        organisation_name="Utenlandsk AB",
        country="SE",
        listed_publicly=True,
    )
    make_registration(conference=conference, organisation_name="Privat AS")
    make_registration(
        conference=conference,
        organisation_name="Avmeldt AS",
        listed_publicly=True,
        cancelled_at=timezone.now(),
    )
    html = client.get(conference.get_absolute_url()).content.decode()

    assert "<tr><td>Synlig AS</td><td>Norway</td><td>Yes</td></tr>" in html
    assert "<tr><td>Utenlandsk AB</td><td>Sweden</td><td>No</td></tr>" in html
    assert ("Privat AS" in html, "Avmeldt AS" in html) == (False, False)
    assert ("Skjult Person" in html, "skjult@synlig.example" in html) == (False, False)
    assert reverse("registrations:register", kwargs={"slug": conference.slug}) in html


def test_register_post_query_count_new_and_known_address(
    client, conference, form_data, django_assert_num_queries
):
    """The page's read; the conference FOR SHARE and its buyer; the address look-up FOR UPDATE;
    then the insert (in a savepoint, get_or_create); the new personal link; the meeting status
    the confirmation states (only the meeting setup: a registration just made has no meeting
    and no waiting-list entry); the outbox email with its .ics (in a savepoint). The test's own
    transaction makes the view's a savepoint too."""
    url = _register_url(conference)

    with django_assert_num_queries(15):
        new = client.post(url, form_data())
    with django_assert_num_queries(11):
        known = client.post(url, form_data())

    assert (new.status_code, known.status_code) == (302, 302)
    assert list(OutboundEmail.objects.order_by("pk").values_list("kind", flat=True)) == [
        EmailKind.CONFIRMATION,
        EmailKind.ALREADY,
    ]


def test_public_pages_answer_head_as_they_answer_get(client, conference):
    """Link checkers and uptime monitors ask with HEAD: the public pages answer it (200, no
    body) like every other public page, not 405. A personal link (``/r/<token>/``) still
    refuses it: opening one signs in."""
    paths = [
        reverse("registrations:register", args=[conference.slug]),
        reverse("registrations:registered", args=[conference.slug]),
        reverse("registrations:resend", args=[conference.slug]),
        reverse("registrations:link_sent", args=[conference.slug]),
        reverse("qa:public_log", args=[conference.slug]),
        reverse("qa:public_log_csv", args=[conference.slug]),
        "/healthz/live",
    ]

    heads = {path: (r.status_code, r.content) for path in paths if (r := client.head(path))}
    gets = {path: (client.get(path).status_code, b"") for path in paths}

    assert heads == gets
    assert [status for status, _body in heads.values()].count(200) == len(paths) - 1
    assert heads[reverse("qa:public_log_csv", args=[conference.slug])][0] == 404  # not yet
    assert client.head(reverse("registrations:access", args=["x" * 43])).status_code == 405
