from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from conferences.services import transition_conference
from dialogkonferanse.common.timefmt import oslo_text
from dialogkonferanse.models import OutboundEmail
from registrations.choices import EmailKind
from registrations.exceptions import RegistrationClosedError
from registrations.models import Registration
from registrations.selectors import get_registration_by_token
from registrations.services import (
    SupplierDetails,
    cancel_registration,
    register_supplier,
    reinstate_registration,
    send_access_link,
    send_due_reminders,
    update_registration_details,
)
from registrations.tokens import hash_token
from tests.factories import make_conference, make_registration

pytestmark = pytest.mark.django_db


def _details(**overrides) -> SupplierDetails:
    values = {
        "organisation_name": "Fjordsensor AS",
        "contact_name": "Kari Nordmann",
        "email": "kari@fjordsensor.example",
        "organisation_number": "974760673",
        "wants_one_to_one": True,
        "one_to_one_topics": "Bøyer",
        "privacy_acknowledged": True,
    }
    values.update(overrides)
    return SupplierDetails(**values)


def test_register_supplier_new_address_creates_registration_and_confirmation(conference):
    receipt = register_supplier(conference_id=conference.pk, details=_details())

    registration = Registration.objects.get()
    assert (receipt.created, receipt.registration_id) == (True, registration.pk)
    assert list(registration.personal_links.values_list("token_hash", "purpose")) == [
        (hash_token(receipt.token), EmailKind.CONFIRMATION)
    ]
    assert registration.wants_one_to_one is True
    assert registration.privacy_acknowledged_at is not None
    [email] = OutboundEmail.objects.all()
    assert (email.kind, email.to_email, email.registration_id) == (
        EmailKind.CONFIRMATION,
        "kari@fjordsensor.example",
        registration.pk,
    )
    # The link is in the message to be sent, never in the copy kept as the record.
    assert f"/r/{receipt.token}/".encode() in bytes(email.mime).replace(b"=\r\n", b"")
    assert receipt.token not in email.body_text + email.body_html
    assert "/r/[…]/" in email.body_text
    assert [a.filename for a in email.attachments.all()] == ["fyrdialog.ics"]


def test_register_supplier_token_has_at_least_128_bits(conference):
    receipt = register_supplier(conference_id=conference.pk, details=_details())

    # token_urlsafe(32): 43 URL-safe base64 characters, 6 bits each.
    assert len(receipt.token) * 6 >= 256


def test_register_supplier_same_address_other_case_creates_no_second_row(conference):
    first = register_supplier(conference_id=conference.pk, details=_details())

    second = register_supplier(
        conference_id=conference.pk,
        details=_details(email="  KARI@Fjordsensor.EXAMPLE ", organisation_name="Other AS"),
    )

    assert (second.created, second.registration_id) == (False, first.registration_id)
    assert Registration.objects.count() == 1
    assert Registration.objects.get().organisation_name == "Fjordsensor AS"
    assert list(OutboundEmail.objects.order_by("pk").values_list("kind", flat=True)) == [
        EmailKind.CONFIRMATION,
        EmailKind.ALREADY,
    ]
    # Both links work: registering the address again revokes nothing.
    assert get_registration_by_token(token=second.token).pk == first.registration_id
    assert get_registration_by_token(token=first.token).pk == first.registration_id


def test_register_supplier_same_address_other_conference_is_a_new_registration(conference):
    register_supplier(conference_id=conference.pk, details=_details())
    other = make_conference()

    receipt = register_supplier(conference_id=other.pk, details=_details())

    assert receipt.created is True
    assert Registration.objects.count() == 2


def test_register_supplier_one_to_one_not_offered_is_not_stored():
    conference = make_conference(offers_one_to_one=False)

    register_supplier(conference_id=conference.pk, details=_details())

    registration = Registration.objects.get()
    assert (registration.wants_one_to_one, registration.one_to_one_topics) == (False, "")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"status": ConferenceStatus.DRAFT},
            "This conference is not open for registration.",
        ),
        (
            {"status": ConferenceStatus.CLOSED},
            "The dialogue is closed: the competition has been announced, so registration is "
            "no longer possible.",
        ),
        (
            {"status": ConferenceStatus.FOLLOW_UP},
            "This conference is not open for registration.",
        ),
    ],
)
def test_register_supplier_conference_not_open_is_refused(overrides, message):
    conference = make_conference(**overrides)

    with pytest.raises(RegistrationClosedError) as exc:
        register_supplier(conference_id=conference.pk, details=_details())

    assert str(exc.value) == message
    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)


def test_register_supplier_before_window_is_refused():
    opens = timezone.now() + dt.timedelta(days=1)
    conference = make_conference(registration_opens_at=opens)

    with pytest.raises(RegistrationClosedError) as exc:
        register_supplier(conference_id=conference.pk, details=_details())

    assert str(exc.value).startswith("Registration has not opened yet. It opens ")
    assert str(exc.value).endswith(f"It opens {oslo_text(opens)}.")  # weekday, no offset
    assert Registration.objects.count() == 0


def test_register_supplier_after_window_is_refused(conference):
    later = conference.registration_closes_at + dt.timedelta(seconds=1)

    with pytest.raises(RegistrationClosedError) as exc:
        register_supplier(conference_id=conference.pk, details=_details(), now=later)

    assert str(exc.value).startswith("Registration closed ")
    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)


def test_register_supplier_rolled_back_leaves_no_row_and_no_email(conference):
    class Boom(Exception):
        pass

    def register_then_fail() -> None:
        with transaction.atomic():
            register_supplier(conference_id=conference.pk, details=_details())
            raise Boom

    with pytest.raises(Boom):
        register_then_fail()

    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)


def test_send_access_link_known_address_adds_a_link_and_queues_it(conference):
    registration = make_registration(conference=conference, token="old-token")

    result = send_access_link(conference_id=conference.pk, email=registration.email.upper())

    assert result == registration.pk
    assert registration.personal_links.count() == 2
    assert get_registration_by_token(token="old-token") == registration
    [email] = OutboundEmail.objects.all()
    assert (email.kind, email.to_email) == (EmailKind.LINK, registration.email)


def test_send_access_link_same_request_twice_sends_one_link(conference):
    """A task redelivered by the broker (acks_late) must not issue a second link."""
    registration = make_registration(conference=conference, token="old-token")

    send_access_link(conference_id=conference.pk, email=registration.email, request_id="r1")
    send_access_link(conference_id=conference.pk, email=registration.email, request_id="r1")

    assert registration.personal_links.count() == 2
    assert OutboundEmail.objects.filter(kind=EmailKind.LINK).count() == 1


def test_send_access_link_unknown_address_sends_nothing(conference):
    make_registration(conference=conference)

    result = send_access_link(conference_id=conference.pk, email="nobody@example.com")

    assert (result, OutboundEmail.objects.count()) == (None, 0)


def test_update_registration_details_changes_contact_and_language(conference):
    registration = make_registration(conference=conference)

    update_registration_details(
        registration_id=registration.pk,
        contact_name="Ny Kontakt",
        phone="+47 99 99 99 99",
        language="en",
        listed_publicly=True,
        open_to_partnering=True,
    )

    registration.refresh_from_db()
    assert (registration.contact_name, registration.phone, registration.language) == (
        "Ny Kontakt",
        "+47 99 99 99 99",
        "en",
    )


def test_cancel_registration_twice_keeps_first_time(conference):
    registration = make_registration(conference=conference)
    first = cancel_registration(registration_id=registration.pk).cancelled_at

    second = cancel_registration(registration_id=registration.pk).cancelled_at

    assert first is not None
    assert second == first


def test_reinstate_registration_while_open_clears_cancellation(conference):
    registration = make_registration(conference=conference, cancelled_at=timezone.now())

    reinstate_registration(registration_id=registration.pk)

    registration.refresh_from_db()
    assert registration.cancelled_at is None


def _reminder_conference(hours_ahead: float):
    starts = (timezone.now() + dt.timedelta(hours=hours_ahead)).replace(microsecond=0)
    return make_conference(
        starts_at=starts,
        registration_opens_at=starts - dt.timedelta(days=10),
        registration_closes_at=starts,
    )


def test_send_due_reminders_day_before_is_sent_once():
    conference = _reminder_conference(hours_ahead=20)
    early = timezone.now() - dt.timedelta(days=3)
    active = make_registration(conference=conference, language="en")
    make_registration(conference=conference, cancelled_at=timezone.now())
    Registration.objects.update(created_at=early)

    first = send_due_reminders()
    second = send_due_reminders()

    assert (first, second) == (1, 0)
    [email] = OutboundEmail.objects.all()
    assert (email.kind, email.registration_id) == (EmailKind.REMINDER_DAY, active.pk)
    assert email.subject == f"Tomorrow: {conference.title}"


def test_send_due_reminders_hour_before_is_sent_once_and_day_reminder_skipped():
    conference = _reminder_conference(hours_ahead=0.5)
    registration = make_registration(conference=conference, language="en")
    Registration.objects.update(created_at=timezone.now() - dt.timedelta(days=3))

    counts = [send_due_reminders() for _ in range(3)]

    assert counts == [1, 0, 0]
    [email] = OutboundEmail.objects.all()
    assert (email.kind, email.registration_id) == (EmailKind.REMINDER_HOUR, registration.pk)
    assert email.subject == f"Starts in one hour: {conference.title}"
    # A personal link to the stream page: in the message sent, redacted in the record.
    assert "/r/[…]/stream/" in email.body_text
    assert registration.personal_links.get().purpose == EmailKind.REMINDER_HOUR


def test_send_due_reminders_sees_a_cancellation_made_after_the_list_was_read(monkeypatch):
    """The list of due registrations is read without locks; each is read again under its row
    lock, so a supplier who cancelled meanwhile gets no reminder and no new link."""
    import registrations.services as services

    conference = _reminder_conference(hours_ahead=20)
    registration = make_registration(conference=conference, language="en")
    Registration.objects.update(created_at=timezone.now() - dt.timedelta(days=3))
    due = list(
        services.registrations_due_reminder(
            conference=conference, kind=EmailKind.REMINDER_DAY, created_before=timezone.now()
        )
    )
    assert due == [registration]  # read before the cancellation
    cancel_registration(registration_id=registration.pk)

    class _Listed(list):
        def iterator(self, chunk_size=None):
            return iter(self)

    monkeypatch.setattr(services, "registrations_due_reminder", lambda **kwargs: _Listed(due))

    assert send_due_reminders() == 0
    assert OutboundEmail.objects.filter(kind=EmailKind.REMINDER_DAY).count() == 0
    assert registration.personal_links.count() == 0


def test_send_due_reminders_not_due_yet_sends_nothing():
    conference = _reminder_conference(hours_ahead=30)
    make_registration(conference=conference)

    assert (send_due_reminders(), OutboundEmail.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_register_supplier_concurrent_same_address_creates_exactly_one():
    conference = make_conference()
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    receipts, errors = [], []

    def worker() -> None:
        try:
            barrier.wait()
            receipts.append(register_supplier(conference_id=conference.pk, details=_details()))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Registration.objects.filter(conference=conference).count() == 1
    assert sorted(r.created for r in receipts) == [False] * (threads_count - 1) + [True]
    assert OutboundEmail.objects.filter(kind=EmailKind.CONFIRMATION).count() == 1
    assert OutboundEmail.objects.filter(kind=EmailKind.ALREADY).count() == threads_count - 1


CLOSED_NB = (
    "Dialogen er avsluttet: konkurransen er kunngjort, så det er ikke lenger mulig å melde seg på."
)


def _close(conference_id: int) -> None:
    transition_conference(
        conference_id=conference_id,
        to_status=ConferenceStatus.CLOSED,
        actor=None,
        notice_reference="2026-104512",
    )


def _register_in_norwegian(conference_id: int) -> str:
    """``registered`` or the refusal's (Bokmål) message."""
    with translation.override("nb"):
        try:
            register_supplier(conference_id=conference_id, details=_details())
        except RegistrationClosedError as exc:
            return str(exc)
    return "registered"


def _wait_until_a_backend_waits_for_a_lock() -> None:
    """Until another connection of this test waits for a row lock (read from PostgreSQL itself,
    not guessed with a sleep)."""
    with connections["default"].cursor() as cursor:
        for _ in range(2000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND query LIKE %s",
                ["%FOR SHARE%"],
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.005)
    raise AssertionError("the registration never waited for the closing's lock")


@pytest.mark.django_db(transaction=True)
def test_register_supplier_during_a_closing_waits_and_is_refused():
    """The closing holds the conference FOR UPDATE; the registration's FOR SHARE waits for it,
    then reads the closed conference and refuses with the reason, in the supplier's language."""
    conference = make_conference()
    closing_locked, may_commit = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def closing() -> None:
        try:
            with transaction.atomic():
                _close(conference.pk)
                closing_locked.set()
                may_commit.wait()
        finally:
            connection.close()

    def registering() -> None:
        try:
            if closing_locked.wait(timeout=30):
                outcomes.append(_register_in_norwegian(conference.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=closing), threading.Thread(target=registering)]
    for thread in threads:
        thread.start()
    try:
        # A closing that fails before it holds the lock fails the test instead of hanging it.
        assert closing_locked.wait(timeout=30), "the closing never took its lock"
        _wait_until_a_backend_waits_for_a_lock()
    finally:
        may_commit.set()
        for thread in threads:
            thread.join()

    assert outcomes == [CLOSED_NB]
    assert Registration.objects.filter(conference=conference).count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_register_supplier_racing_a_closing_is_before_it_or_refused(round_):
    conference = make_conference()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def closing() -> None:
        try:
            barrier.wait()
            _close(conference.pk)
        finally:
            connection.close()

    def registering() -> None:
        try:
            barrier.wait()
            outcomes.append(_register_in_norwegian(conference.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=closing), threading.Thread(target=registering)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    closed = Conference.objects.get(pk=conference.pk)
    registrations = list(Registration.objects.filter(conference=conference))
    assert closed.status == ConferenceStatus.CLOSED
    if outcomes == ["registered"]:  # committed before the closing took its lock
        assert [r.created_at < closed.status_changed_at for r in registrations] == [True]
        assert OutboundEmail.objects.filter(kind=EmailKind.CONFIRMATION).count() == 1
    else:
        assert (outcomes, registrations) == ([CLOSED_NB], [])
        assert OutboundEmail.objects.count() == 0


def test_register_supplier_wanting_a_meeting_without_topics_is_refused_by_the_model(conference):
    """The rule is the model's, so a command or an import obeys it as the public form does."""
    from registrations.exceptions import InvalidRegistrationError

    with pytest.raises(InvalidRegistrationError, match="which topics you want to raise"):
        register_supplier(conference_id=conference.pk, details=_details(one_to_one_topics="  "))

    assert Registration.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+47 400\r\nBcc: x"),
        ("phone", "ring meg"),
        ("national_id", "SE123\n456"),
        ("one_to_one_topics", "Bøyer\x1b[31m"),
    ],
)
def test_register_supplier_refuses_what_the_fields_validators_refuse(conference, field, value):
    from registrations.exceptions import InvalidRegistrationError

    overrides = {field: value}
    if field == "national_id":
        overrides.update(country="SE", organisation_number="")
    with pytest.raises(InvalidRegistrationError):
        register_supplier(conference_id=conference.pk, details=_details(**overrides))

    assert Registration.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "+47 400\nX-Header: y"}, "single line"),
        ({"phone": "ring meg"}, "phone number"),
        ({"contact_name": "Kari\r\nNordmann"}, "single line"),
        ({"language": "de"}, "not a valid choice"),
    ],
)
def test_update_registration_details_refuses_what_the_model_refuses(conference, changes, message):
    from registrations.exceptions import InvalidRegistrationError

    registration = make_registration(conference=conference, phone="+47 400 00 000")
    values = {
        "contact_name": "Kari Nordmann",
        "phone": "+47 400 00 000",
        "language": "nb",
        "listed_publicly": False,
        "open_to_partnering": False,
        **changes,
    }

    with translation.override("en"), pytest.raises(InvalidRegistrationError, match=message):
        update_registration_details(registration_id=registration.pk, **values)

    stored = Registration.objects.get(pk=registration.pk)
    assert (stored.phone, stored.language) == ("+47 400 00 000", registration.language)


def test_register_supplier_without_the_privacy_notice_acknowledged_is_refused(conference):
    """Every caller (a command, an import) must say the supplier acknowledged the privacy
    notice: the time stored as acknowledged is never made up."""
    from registrations.exceptions import InvalidRegistrationError

    with pytest.raises(InvalidRegistrationError, match="privacy notice"):
        register_supplier(conference_id=conference.pk, details=_details(privacy_acknowledged=False))

    assert (Registration.objects.count(), OutboundEmail.objects.count()) == (0, 0)
