"""The personal-data registry: every table that points at a person has a handler, the handlers
run in their defined order, and the orchestration knows only the registry (a handler from a
new app joins the export and the anonymisation, and its failure rolls everything back)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.personal_data import (
    Anonymisation,
    PersonalDataHandler,
    covered_models,
    get_handlers,
    register_personal_data_handlers,
)
from registrations.models import Registration
from registrations.retention import anonymise_registration, export_personal_data
from tests.factories import make_conference, make_registration

PERSON_MODELS = (Registration, OutboundEmail)


def _models_pointing_at_a_person() -> set[str]:
    """Every installed model with a direct foreign key (or one-to-one) to a registration or an
    outbox email, and those two models themselves."""
    found = {model._meta.label for model in PERSON_MODELS}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)  # OneToOneField is one too
                and field.related_model in PERSON_MODELS
            ):
                found.add(model._meta.label)
    return found


def test_every_model_pointing_at_a_person_has_a_personal_data_handler():
    covered = {model._meta.label for model in covered_models()}

    missing = sorted(_models_pointing_at_a_person() - covered)

    assert missing == []


def test_models_pointing_at_a_person_are_found_by_introspection():
    # Guards the test above against finding nothing.
    assert {
        "meetings.Meeting",
        "qa.Vote",
        "qa.Attendance",
        "dialogkonferanse.OutboundAttachment",
    } <= (_models_pointing_at_a_person())


def test_handlers_run_registration_first_and_audit_log_last():
    assert [handler.identifier for handler in get_handlers()] == [
        "registrations",
        "outbox",
        "qa",
        "meetings",
        "audit",
    ]


class _Calls:
    anonymised: list[tuple[int, str, str]] = []


class _NewAppHandler(PersonalDataHandler):
    """What a new app holding personal data would register."""

    identifier = "new_app"
    order = 40
    models = ()

    def export(self, registration: Any) -> dict[str, Any]:
        return {"new_app": [{"registration": registration.pk}]}

    def anonymise(self, registration: Any, run: Anonymisation) -> None:
        _Calls.anonymised.append((registration.pk, registration.email, run.previous_email))


class _FailingHandler(PersonalDataHandler):
    identifier = "failing"
    order = 40

    def anonymise(self, registration: Any, run: Anonymisation) -> None:
        raise RuntimeError("disk full")


@pytest.fixture
def registered() -> Iterator[Any]:
    """Returns ``register(*classes)``: connect handlers for this test only."""
    uids: list[str] = []

    def register(*classes: type[PersonalDataHandler]) -> None:
        uid = f"test.{len(uids)}"
        register_personal_data_handlers.connect(
            lambda sender, **kwargs: list(classes), dispatch_uid=uid, weak=False
        )
        uids.append(uid)

    _Calls.anonymised = []
    yield register
    for uid in uids:
        register_personal_data_handlers.disconnect(dispatch_uid=uid)


@pytest.mark.django_db
def test_new_apps_handler_joins_export_and_anonymisation(registered):
    registration = make_registration(email="ola@leverandor.example")
    registered(_NewAppHandler)

    exported = export_personal_data(email="ola@leverandor.example")
    done = anonymise_registration(registration_id=registration.pk, reason="request")

    assert exported["registrations"][0]["new_app"] == [{"registration": registration.pk}]
    assert done is True
    # After the registrations handler: the new address is on the row, the old one passed along.
    assert _Calls.anonymised == [
        (registration.pk, f"anonymised-{registration.pk}@invalid", "ola@leverandor.example")
    ]


@pytest.mark.django_db
def test_failing_handler_rolls_the_whole_anonymisation_back(registered):
    registration = make_registration(email="kari@leverandor.example")
    registered(_FailingHandler)

    with pytest.raises(RuntimeError, match="disk full"):
        anonymise_registration(registration_id=registration.pk, reason="request")

    registration.refresh_from_db()
    assert (registration.email, registration.anonymised_at) == ("kari@leverandor.example", None)


def test_handlers_with_the_same_identifier_are_refused(registered):
    class Twin(_NewAppHandler):
        pass

    registered(_NewAppHandler, Twin)

    with pytest.raises(ImproperlyConfigured, match="unique"):
        get_handlers()


@pytest.mark.django_db(transaction=True)
def test_expiry_task_runs_by_its_stable_name_on_a_worker(celery_worker_factory, wait_until):
    conference = make_conference()
    registration = make_registration(conference=conference)
    Conference.objects.filter(pk=conference.pk).update(
        status=ConferenceStatus.CLOSED, closed_at=timezone.now() - dt.timedelta(days=800)
    )

    with celery_worker_factory():
        # By name, as beat and tasks queued by earlier releases send it.
        celery_app.send_task("dialogkonferanse.anonymise_expired")
        wait_until(lambda: Registration.objects.get(pk=registration.pk).anonymised_at is not None)

    assert Registration.objects.get(pk=registration.pk).email == (
        f"anonymised-{registration.pk}@invalid"
    )
