"""Personal data: anonymisation leaves no trace of the person in any table, and no count
changes; the export for access requests holds everything about the person."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from conferences.package.report import build_report
from conferences.services import transition_conference
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import AuditEntry, OutboundEmail
from meetings.models import Meeting, Minutes
from qa.services import approve_question, ask_question, vote_question
from registrations.models import Registration
from registrations.retention import (
    add_months,
    anonymise_expired_registrations,
    anonymise_registration,
)
from registrations.services import SupplierDetails, register_supplier
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_registration,
    make_slot,
    make_staff,
)

pytestmark = pytest.mark.django_db

NAME = "Kari Unikdottir-Testesen"
EMAIL = "kari.unikdottir@leverandor-test.example"
PHONE = "+47 912 34 567"


def _tables_containing(value: str) -> list[str]:
    """Every (table, column) of the database whose text, JSON or bytes contain ``value``."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json', 'bytea')"
        )
        columns = cursor.fetchall()
        for table, column, data_type in columns:
            table_q, column_q = connection.ops.quote_name(table), connection.ops.quote_name(column)
            if data_type == "bytea":
                sql = (
                    f"SELECT count(*) FROM {table_q} WHERE "  # noqa: S608 - names from the catalogue
                    f"position(convert_to(%s, 'UTF8') in {column_q}) > 0"
                )
                cursor.execute(sql, [value])
            else:
                sql = f"SELECT count(*) FROM {table_q} WHERE {column_q}::text ILIKE %s"  # noqa: S608
                cursor.execute(sql, [f"%{value}%"])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def _report_numbers(conference_id: int) -> dict:
    report = build_report(conference_id=conference_id)
    return {
        "participants": report.participant_counts,
        "companies": [r.organisation_name for r in report.participants],
        "questions": report.question_counts,
        "meetings": report.meeting_counts,
        "emails": [(e.kind, e.total, e.sent, e.failed) for e in report.emails],
    }


@pytest.fixture
def dialogue(client):
    """A conference with one person everywhere: registration, emails, a question with their
    name in it, a vote, a meeting with minutes, staff edits in the admin, then closed."""
    staff, moderator = make_staff(), make_moderator()
    conference = make_conference(offers_one_to_one=True)
    receipt = register_supplier(
        conference_id=conference.pk,
        details=SupplierDetails(
            privacy_acknowledged=True,
            organisation_name="Unik Leverandør AS",
            organisation_number="974760673",
            contact_name=NAME,
            email=EMAIL,
            phone=PHONE,
            wants_one_to_one=True,
            one_to_one_topics=f"Ring {NAME} på {PHONE}",
        ),
    )
    registration = Registration.objects.get(pk=receipt.registration_id)
    other = make_registration(conference=conference)
    Conference.objects.filter(pk=conference.pk).update(status=ConferenceStatus.LIVE)
    question = ask_question(
        registration_id=registration.pk, text=f"Hei, dette er {NAME} ({EMAIL}): når kommer anbudet?"
    )
    approve_question(
        conference_id=conference.pk,
        question_id=question.pk,
        moderator=moderator,
        expected_version=1,
    )
    vote_question(registration_id=other.pk, question_id=question.pk)
    settings_row = make_meeting_settings(conference=conference)
    meeting = Meeting.objects.create(
        conference=conference,
        slot=make_slot(
            team=settings_row.teams.first(), starts_at=timezone.now() - dt.timedelta(days=2)
        ),
        registration=registration,
    )
    Minutes.objects.create(
        meeting=meeting,
        attendance="held",
        internal_notes=f"{NAME} presenterte løsningen.",
        public_summary="Tema: drift og vedlikehold.",
    )
    client.force_login(staff)
    client.post(
        reverse("admin:registrations_registration_change", args=[registration.pk]),
        {
            "organisation_name": registration.organisation_name,
            "country": "NO",
            "organisation_number": registration.organisation_number,
            "national_id": "",
            "contact_name": NAME,
            "email": EMAIL,
            "phone": "+47 400 00 001",
            "language": "nb",
            "one_to_one_topics": registration.one_to_one_topics,
        },
    )
    Conference.objects.filter(pk=conference.pk).update(status=ConferenceStatus.FOLLOW_UP)
    transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.CLOSED,
        actor=staff,
        notice_reference="2026-654321",
    )
    # A year on, everything has been delivered.
    OutboundEmail.objects.update(status=EmailStatus.SENT, sent_at=timezone.now())
    return conference, registration, staff


def test_dialogue_fixture_spreads_the_person_everywhere(dialogue):

    tables = _tables_containing(EMAIL) + _tables_containing(NAME)

    assert "registrations_registration.email" in tables
    assert "dialogkonferanse_outboundemail.mime" in tables
    assert "qa_question.original_text" in tables
    assert "meetings_minutes.internal_notes" in tables
    assert "dialogkonferanse_auditentry.object_repr" in tables
    assert "django_admin_log.object_repr" in tables


def test_anonymise_expired_leaves_no_trace_and_keeps_every_count(dialogue):
    conference, registration, _staff = dialogue
    before = _report_numbers(conference.pk)
    closed_at = Conference.objects.get(pk=conference.pk).closed_at

    due = add_months(closed_at, 12)
    assert anonymise_expired_registrations(now=due - dt.timedelta(days=1)) == 0
    done = anonymise_expired_registrations(now=due + dt.timedelta(days=1))

    assert done == 2  # the person and the other supplier
    for value in (EMAIL, NAME, PHONE, "+47 400 00 001"):
        assert _tables_containing(value) == [], value
    assert _report_numbers(conference.pk) == before
    registration.refresh_from_db()
    assert registration.organisation_name == "Unik Leverandør AS"
    assert registration.anonymised_at is not None
    assert registration.personal_links.count() == 0
    entry = AuditEntry.objects.get(action="anonymise", object_id=str(registration.pk))
    assert entry.actor is None
    assert entry.note == f"Lagringstiden er ute ({due.date()})."  # the service's language (nb)
    # Running again changes nothing.
    assert anonymise_expired_registrations(now=add_months(closed_at, 13)) == 0


def test_anonymise_on_request_from_the_admin_is_audited(dialogue, client):
    _conference, registration, staff = dialogue

    response = client.post(
        reverse("admin:registrations_registration_changelist"),
        {
            "action": "anonymise_on_request",
            "_selected_action": [registration.pk],
            "apply": "1",
            "reason": f"Request from {NAME} by email",
        },
    )

    assert response.status_code == 302
    assert _tables_containing(EMAIL) == []
    assert _tables_containing(NAME) == []
    entry = AuditEntry.objects.get(action="anonymise", object_id=str(registration.pk))
    assert entry.actor == staff
    assert entry.note == "Request from [anonymised] by email"


def test_anonymise_registration_twice_is_a_no_op(dialogue):
    _conference, registration, _staff = dialogue

    assert anonymise_registration(registration_id=registration.pk, reason="x") is True
    assert anonymise_registration(registration_id=registration.pk, reason="x") is False


def test_anonymise_expired_command_dry_run_changes_nothing(dialogue, capsys):
    conference, registration, _staff = dialogue
    Conference.objects.filter(pk=conference.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=800)
    )

    call_command("anonymise_expired", "--dry-run")
    assert Registration.objects.get(pk=registration.pk).email == EMAIL
    call_command("anonymise_expired")

    out = capsys.readouterr().out
    assert "2 registrations would be anonymised." in out
    assert "2 registrations anonymised." in out
    assert Registration.objects.get(pk=registration.pk).anonymised_at is not None


def test_export_contains_everything_about_the_person(dialogue, client):
    conference, registration, staff = dialogue
    second = make_registration(conference=make_conference(), email=EMAIL.upper(), contact_name=NAME)

    response = client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "export_personal_data_json", "_selected_action": [registration.pk]},
    )

    data = json.loads(response.content)
    assert data["email"] == EMAIL
    assert [r["registration"]["id"] for r in data["registrations"]] == [registration.pk, second.pk]
    first = data["registrations"][0]
    assert first["registration"]["contact_name"] == NAME
    assert first["registration"]["phone"] == "+47 400 00 001"
    assert "session_secret" not in first["registration"]
    # When each personal link was sent and used, never its token's hash.
    assert [link["purpose"] for link in first["personal_links"]] == ["registration_confirmation"]
    assert all("token_hash" not in link for link in first["personal_links"])
    assert first["conference"]["title"] == conference.title
    assert {e["kind"] for e in first["emails"]} == {"registration_confirmation"}
    assert NAME in first["emails"][0]["body_text"]
    assert first["questions"][0]["original_text"].startswith(f"Hei, dette er {NAME}")
    assert first["questions"][0]["status"] == "published"
    assert first["meetings"][0]["minutes"]["internal_notes"] == f"{NAME} presenterte løsningen."
    assert first["meetings"][0]["team"] == "Team A"
    assert {a["action"] for a in first["audit_log"]} >= {"update"}
    assert AuditEntry.objects.filter(action="export", actor=staff).count() == 2
