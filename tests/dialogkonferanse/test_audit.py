"""The audit log: an entry per change by staff or moderators, with before and after."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.services import transition_conference
from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import AuditEntry, OutboundEmail
from dialogkonferanse.outbox.queue import requeue_failed_emails
from meetings.models import Meeting
from meetings.services import cancel_meeting_by_staff
from qa import services as qa
from registrations.services import reissue_access_link, revoke_personal_links
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_question,
    make_registration,
    make_slot,
    make_staff,
)

pytestmark = pytest.mark.django_db


def entries_for(obj, action: str | None = None) -> list[AuditEntry]:
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("pk")
    if action:
        rows = rows.filter(action=action)
    return list(rows)


def test_audit_transition_records_status_actor_and_notice():
    staff = make_staff()
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)

    transition_conference(
        conference_id=conference.pk,
        to_status=ConferenceStatus.CLOSED,
        actor=staff,
        notice_reference="2026-123456",
    )

    [entry] = entries_for(conference, "transition")
    assert entry.actor == staff
    assert entry.actor_repr == staff.username
    assert entry.conference_id == conference.pk
    assert entry.changes["status"] == ["follow_up", "closed"]
    assert entry.changes["closed_at"][0] is None
    assert entry.note == "2026-123456"


def _registration_form(registration, **changes):
    data = {
        "organisation_name": registration.organisation_name,
        "country": registration.country,
        "organisation_number": registration.organisation_number,
        "national_id": registration.national_id,
        "contact_name": registration.contact_name,
        "email": registration.email,
        "phone": registration.phone,
        "language": registration.language,
        "one_to_one_topics": "",
    }
    data.update(changes)
    return data


def test_audit_admin_change_of_registration_has_before_and_after(client):
    staff = make_staff()
    registration = make_registration(phone="")
    client.force_login(staff)

    response = client.post(
        reverse("admin:registrations_registration_change", args=[registration.pk]),
        _registration_form(registration, phone="+47 900 00 000", contact_name="Ny Kontakt"),
    )

    assert response.status_code == 302
    [entry] = entries_for(registration, "update")
    assert entry.actor == staff
    assert entry.registration_id == registration.pk
    assert entry.conference_id == registration.conference_id
    assert entry.changes == {
        "contact_name": [registration.contact_name, "Ny Kontakt"],
        "phone": ["", "+47 900 00 000"],
    }


def test_audit_admin_inline_minutes_are_recorded(client):
    staff = make_staff()
    slot = make_slot()
    registration = make_registration(conference=slot.conference, wants_one_to_one=True)
    meeting = Meeting.objects.create(
        conference_id=slot.conference_id, slot=slot, registration=registration
    )
    client.force_login(staff)

    response = client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        {
            "minutes-TOTAL_FORMS": "1",
            "minutes-INITIAL_FORMS": "0",
            "minutes-MIN_NUM_FORMS": "0",
            "minutes-MAX_NUM_FORMS": "1",
            "minutes-0-attendance": "held",
            "minutes-0-internal_notes": "Leverandøren viste produktet.",
            "minutes-0-business_secret_passages": "",
            "minutes-0-public_summary_nb": "Tema: drift.",
            "minutes-0-meeting": str(meeting.pk),
        },
    )

    assert response.status_code == 302, response.context["errors"]
    minutes = meeting.minutes
    [entry] = entries_for(minutes, "create")
    assert entry.actor == staff
    assert entry.conference_id == slot.conference_id
    assert entry.registration_id == registration.pk
    assert entry.changes["internal_notes"] == [None, "Leverandøren viste produktet."]
    assert entry.changes["public_summary"] == [None, "Tema: drift."]


def test_audit_admin_delete_is_recorded(client):
    staff = make_staff()
    conference = make_conference(status=ConferenceStatus.DRAFT, agenda_items=1)
    item = conference.agenda_items.get()
    client.force_login(staff)

    response = client.post(
        reverse("admin:conferences_conference_delete", args=[conference.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="delete", object_id=str(conference.pk))
    assert entry.changes["title"] == [conference.title, None]
    assert entry.conference_id == conference.pk
    assert not type(item).objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    ("action", "call", "expected"),
    [
        (
            "approve",
            lambda q, m: qa.approve_question(
                conference_id=q.conference_id,
                question_id=q.pk,
                moderator=m,
                expected_version=q.version,
                text="Rettet ordlyd?",
            ),
            {"status": ["awaiting", "published"], "text": ["Opprinnelig?", "Rettet ordlyd?"]},
        ),
        (
            "reject",
            lambda q, m: qa.reject_question(
                conference_id=q.conference_id,
                question_id=q.pk,
                moderator=m,
                expected_version=q.version,
                reason="Utenfor tema.",
            ),
            {"status": ["awaiting", "rejected"], "rejection_reason": ["", "Utenfor tema."]},
        ),
        (
            "tag",
            lambda q, m: qa.tag_question(
                conference_id=q.conference_id,
                question_id=q.pk,
                moderator=m,
                expected_version=q.version,
                topics="drift, pris",
            ),
            {"topics": ["", "drift, pris"]},
        ),
    ],
)
def test_audit_moderator_action_records_before_and_after(action, call, expected):
    moderator = make_moderator()
    question = make_question(
        conference=make_conference(status=ConferenceStatus.LIVE), text="Opprinnelig?"
    )

    call(question, moderator)

    [entry] = entries_for(question, action)
    assert entry.actor == moderator
    for field, pair in expected.items():
        assert entry.changes[field] == pair
    assert entry.changes["version"] == [1, 2]


def test_audit_written_answer_then_correction():
    moderator = make_moderator()
    question = make_question(
        conference=make_conference(status=ConferenceStatus.LIVE), status="published"
    )
    qa.answer_question(
        conference_id=question.conference_id,
        question_id=question.pk,
        moderator=moderator,
        expected_version=1,
        text="Første svar.",
    )
    qa.answer_question(
        conference_id=question.conference_id,
        question_id=question.pk,
        moderator=moderator,
        expected_version=2,
        text="Rettet svar.",
    )

    answer = question.answer.__class__.objects.get(question=question)
    assert entries_for(answer, "answer")[0].changes["text"] == [None, "Første svar."]
    assert entries_for(answer, "edit_answer")[0].changes["text"] == [
        "Første svar.",
        "Rettet svar.",
    ]
    assert entries_for(question, "answer")[0].changes["status"] == ["published", "answered"]


def test_audit_staff_cancels_meeting():
    staff = make_staff()
    settings_row = make_meeting_settings()
    slot = make_slot(team=settings_row.teams.first())
    registration = make_registration(conference=settings_row.conference, wants_one_to_one=True)
    meeting = Meeting.objects.create(
        conference=settings_row.conference, slot=slot, registration=registration
    )

    cancel_meeting_by_staff(meeting_id=meeting.pk, actor=staff, reason="Sykdom")

    [entry] = entries_for(meeting, "cancel")
    assert entry.actor == staff
    assert entry.changes["status"] == ["booked", "cancelled"]
    assert entry.note == "Sykdom"


def test_audit_link_reissue_and_revoke_log_secrets_only_as_changed():
    staff = make_staff()
    registration = make_registration(token="a" * 43)

    reissue_access_link(registration_id=registration.pk, actor=staff)
    revoke_personal_links(registration_id=registration.pk, actor=staff)

    [reissued] = entries_for(registration, "reissue_link")
    [revoked] = entries_for(registration, "revoke_links")
    assert (reissued.actor, reissued.changes) == (staff, {})
    assert reissued.note == "A new personal link was emailed; earlier links keep working."
    assert revoked.actor == staff
    assert revoked.changes == {"session_secret": ["[secret]", "[new secret]"]}
    assert revoked.note == "Staff revoked all personal links: 2 links."
    registration.refresh_from_db()
    stored = str(AuditEntry.objects.values_list("changes", flat=True)[::1])
    assert registration.session_secret not in stored


def test_audit_requeue_of_failed_email():
    staff = make_staff()
    conference = make_conference()
    email = OutboundEmail.objects.create(
        kind="test",
        to_email="a@example.org",
        language="nb",
        subject="S",
        body_text="B",
        idempotency_key="audit-requeue",
        status=EmailStatus.FAILED,
        attempts=8,
        conference=conference,
    )

    assert requeue_failed_emails(email_ids=[email.pk], actor=staff) == 1

    [entry] = entries_for(email, "requeue")
    assert entry.actor == staff
    assert entry.changes["status"] == ["failed", "queued"]
    assert entry.changes["attempts"] == [8, 0]
    assert entry.conference_id == conference.pk


def test_audit_entry_cannot_be_updated_or_deleted():
    entry = AuditEntry.objects.create(action="update", object_repr="x")

    for statement in (
        "UPDATE dialogkonferanse_auditentry SET action = 'forged' WHERE id = %s",
        "DELETE FROM dialogkonferanse_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(note="changed")

    entry.refresh_from_db()
    assert (entry.action, entry.note) == ("update", "")


def test_audit_admin_is_view_only_and_exports_csv(client):
    staff = make_staff()
    conference = make_conference()
    AuditEntry.objects.create(
        action="update", object_repr="=HYPERLINK()", conference=conference, at=timezone.now()
    )
    client.force_login(staff)

    changelist = client.get(reverse("admin:dialogkonferanse_auditentry_changelist"))
    add = client.get(reverse("admin:dialogkonferanse_auditentry_add"))
    entry = AuditEntry.objects.get()
    delete = client.post(
        reverse("admin:dialogkonferanse_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    export = client.post(
        reverse("admin:dialogkonferanse_auditentry_changelist")
        + f"?conference__id__exact={conference.pk}",
        {"action": "export_csv", "_selected_action": [entry.pk]},
        headers={"accept-language": "en"},
    )

    assert changelist.status_code == 200
    assert (add.status_code, delete.status_code) == (403, 403)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "When (UTC)"
    assert rows[1][2] == "update"
    assert rows[1][5] == "'=HYPERLINK()"


def test_audited_admin_mixin_is_on_every_staff_admin():
    from django.contrib import admin

    from conferences.models import Clarification, Conference, Document, Recording
    from dialogkonferanse.models import OutboundEmail as Email
    from meetings.models import Meeting as M
    from meetings.models import MeetingSettings
    from qa.models import Question
    from registrations.models import Registration

    for model in (
        Conference,
        Recording,
        Document,
        Clarification,
        Registration,
        M,
        MeetingSettings,
        Question,
        Email,
    ):
        assert isinstance(admin.site._registry[model], AuditedAdminMixin), model


def test_publishing_and_withdrawing_a_recording_is_audited(settings, tmp_path):
    from conferences.models import Recording
    from conferences.package.publishing import publish_recording, unpublish_recording
    from tests.conferences.package_factories import make_recording

    settings.MEDIA_ROOT = tmp_path
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    recording = make_recording(conference=conference)
    staff = make_staff()

    publish_recording(recording_id=recording.pk, actor=staff)
    unpublish_recording(recording_id=recording.pk, actor=staff, reason="Feil fil")

    recording.refresh_from_db()
    entries = list(
        AuditEntry.objects.filter(
            content_type__model="recording", object_id=str(recording.pk)
        ).order_by("pk")
    )
    assert [(e.action, e.changes, e.actor_id, e.conference_id) for e in entries] == [
        ("published", {"published": [False, True]}, staff.pk, conference.pk),
        ("unpublished", {"published": [True, False]}, staff.pk, conference.pk),
    ]
    assert f"sha256={recording.sha256}" in entries[0].note
    assert "Feil fil" in entries[1].note
    assert Recording.objects.filter(pk=recording.pk, published_at__isnull=True).exists()
