"""Publishing the information package: captions first, evidence hashes, changelog, emails."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from conferences.choices import ConferenceStatus, PackageAction, PackageItemKind
from conferences.exceptions import ConferenceError
from conferences.models import PackageChange, Recording
from conferences.package.publishing import (
    publish_clarification,
    publish_document,
    publish_recording,
    save_recording,
    unpublish_recording,
)
from dialogkonferanse.models import OutboundEmail
from qa.models import Attendance
from tests.concurrency import at_once
from tests.conferences.package_factories import (
    make_clarification,
    make_document,
    make_recording,
    sha256,
    webm_bytes,
)
from tests.factories import make_conference, make_registration, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def conference():
    return make_conference(status=ConferenceStatus.PUBLISHED)


def _changes(conference) -> list[tuple[str, str, str, str]]:
    return list(
        PackageChange.objects.filter(conference=conference)
        .order_by("pk")
        .values_list("action", "item_kind", "title", "note")
    )


def test_publish_recording_without_captions_is_refused(conference):
    recording = make_recording(conference=conference, captions=(), title="Behovet")

    with pytest.raises(ConferenceError, match="has no captions and was not published"):
        publish_recording(recording_id=recording.pk, actor=make_staff())

    recording.refresh_from_db()
    assert recording.published_at is None
    assert _changes(conference) == []


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_publish_recording_override_without_reason_is_refused(conference, reason):
    recording = make_recording(conference=conference, captions=())

    with pytest.raises(ConferenceError, match="give a written reason"):
        publish_recording(
            recording_id=recording.pk, actor=make_staff(), caption_override_reason=reason
        )

    assert Recording.objects.get(pk=recording.pk).published_at is None


def test_publish_recording_override_with_reason_records_reason_and_actor(conference):
    staff = make_staff()
    recording = make_recording(conference=conference, captions=(), title="Behovet")
    reason = "Teksting bestilt; publiseres nå fordi fristen for spørsmål er fredag."

    publish_recording(
        recording_id=recording.pk, actor=staff, caption_override_reason=f"  {reason} "
    )

    recording.refresh_from_db()
    assert recording.published_at is not None
    assert recording.published_by == staff
    assert recording.caption_override_reason == reason
    assert _changes(conference) == [("published", "recording", "Behovet", reason)]


def test_publish_recording_with_captions_publishes_and_logs_hash(conference):
    staff = make_staff()
    content = webm_bytes(10_000)
    recording = make_recording(conference=conference, content=content, title="Konkurransen")

    publish_recording(
        recording_id=recording.pk, actor=staff, caption_override_reason="ignored with captions"
    )

    recording.refresh_from_db()
    change = PackageChange.objects.get(conference=conference)
    assert (recording.published_by, recording.caption_override_reason) == (staff, "")
    assert recording.sha256 == sha256(content)
    assert (change.action, change.item_kind, change.item_id) == (
        PackageAction.PUBLISHED,
        PackageItemKind.RECORDING,
        recording.pk,
    )
    assert (change.sha256, change.changed_at, change.changed_by) == (
        sha256(content),
        recording.published_at,
        staff,
    )


def test_publish_recording_twice_is_refused(conference):
    recording = make_recording(conference=conference)
    publish_recording(recording_id=recording.pk, actor=None)

    with pytest.raises(ConferenceError, match="already published"):
        publish_recording(recording_id=recording.pk, actor=None)

    assert PackageChange.objects.count() == 1


def test_publish_recording_of_draft_conference_is_refused():
    recording = make_recording(conference=make_conference(status=ConferenceStatus.DRAFT))

    with pytest.raises(ConferenceError, match="Publish the conference before"):
        publish_recording(recording_id=recording.pk, actor=None)


def test_save_recording_records_sha256_and_size_of_stored_file(conference):
    content = webm_bytes(3 * 1024 * 1024 + 17)  # several hash chunks, not a multiple of one

    recording = make_recording(conference=conference, content=content)

    recording.refresh_from_db()
    with recording.video_file.open("rb") as handle:
        stored = handle.read()
    assert stored == content
    assert (recording.sha256, recording.size) == (sha256(stored), len(content))
    assert recording.content_type == "video/webm"
    assert recording.video_file.name.startswith(f"recordings/{conference.pk}/")
    assert "opptak" not in recording.video_file.name  # the original name is not kept


def test_publish_recording_refuses_file_changed_in_storage(conference):
    recording = make_recording(conference=conference)
    with open(recording.video_file.path, "ab") as handle:
        handle.write(b"tampered")

    with pytest.raises(ConferenceError, match="no longer matches the SHA-256"):
        publish_recording(recording_id=recording.pk, actor=None)

    assert Recording.objects.get(pk=recording.pk).published_at is None


def test_save_recording_refuses_new_file_while_published(conference):
    recording = make_recording(conference=conference)
    publish_recording(recording_id=recording.pk, actor=None)
    original = Recording.objects.get(pk=recording.pk)
    recording.video_file = ContentFile(webm_bytes(100), name="ny.webm")

    with pytest.raises(ConferenceError, match="cannot be replaced"):
        save_recording(recording=recording, changed_fields={"video_file"})

    recording.refresh_from_db()
    assert (recording.video_file.name, recording.sha256) == (
        original.video_file.name,
        original.sha256,
    )


def test_save_recording_keeps_publication_fields_from_database(conference):
    recording = make_recording(conference=conference)
    stale = Recording.objects.get(pk=recording.pk)
    publish_recording(recording_id=recording.pk, actor=None)
    stale.order = 7

    save_recording(recording=stale, changed_fields={"order"})

    stored = Recording.objects.get(pk=recording.pk)
    assert stored.order == 7
    assert stored.published_at is not None


def test_unpublish_recording_logs_withdrawal_with_reason(conference):
    recording = make_recording(conference=conference, title="Behovet")
    publish_recording(recording_id=recording.pk, actor=None)

    unpublish_recording(recording_id=recording.pk, actor=None, reason="Feil lydspor.")

    assert Recording.objects.get(pk=recording.pk).published_at is None
    assert _changes(conference) == [
        ("published", "recording", "Behovet", ""),
        ("unpublished", "recording", "Behovet", "Feil lydspor."),
    ]


def test_publish_document_and_clarification_are_logged(conference):
    document = make_document(conference=conference, title="Lysark")
    clarification = make_clarification(conference=conference, title="Om opsjoner")

    publish_document(document_id=document.pk, actor=None)
    publish_clarification(clarification_id=clarification.pk, actor=None)

    document.refresh_from_db()
    assert document.published_at is not None
    assert len(document.sha256) == 64
    assert _changes(conference) == [
        ("published", "document", "Lysark", ""),
        ("published", "clarification", "Om opsjoner", ""),
    ]


# --- Database constraints: the last guard ---------------------------------------------------


def test_recording_without_any_source_violates_constraint(conference):
    with pytest.raises(IntegrityError, match="recording_one_source"):
        Recording.objects.create(conference=conference, title="Tomt")


def test_recording_with_file_and_address_violates_constraint(conference):
    recording = make_recording(conference=conference)

    with pytest.raises(IntegrityError, match="recording_one_source"):
        Recording.objects.filter(pk=recording.pk).update(
            external_url="https://www.youtube.com/watch?v=abcdefghijk", provider="youtube"
        )


def test_published_file_without_hash_violates_constraint(conference):
    recording = make_recording(conference=conference)

    with pytest.raises(IntegrityError, match="recording_published_file_has_hash"):
        Recording.objects.filter(pk=recording.pk).update(sha256="", published_at=timezone.now())


# --- The archive email ----------------------------------------------------------------------


def _archive_emails():
    return OutboundEmail.objects.filter(
        kind__in=["conference_archive", "conference_archive_missed"]
    ).order_by("to_email")


def test_first_recording_emails_every_active_registrant_once(conference):
    conference.status = ConferenceStatus.FOLLOW_UP
    conference.save()
    watched = make_registration(conference=conference, email="sett@a.example", language="en")
    missed = make_registration(conference=conference, email="borte@b.example", language="en")
    make_registration(conference=conference, email="avmeldt@c.example", cancelled_at=timezone.now())
    Attendance.objects.create(
        conference=conference,
        registration=watched,
        first_seen_at=conference.starts_at,
        last_seen_at=conference.starts_at,
    )
    first = make_recording(conference=conference)
    second = make_recording(conference=conference)

    publish_recording(recording_id=first.pk, actor=None)
    publish_recording(recording_id=second.pk, actor=None)
    unpublish_recording(recording_id=first.pk, actor=None)
    publish_recording(recording_id=first.pk, actor=None)

    emails = list(_archive_emails().values_list("to_email", "kind", "language", "registration"))
    assert emails == [
        ("borte@b.example", "conference_archive_missed", "en", missed.pk),
        ("sett@a.example", "conference_archive", "en", watched.pk),
    ]
    sent_to_watcher = _archive_emails().get(to_email="sett@a.example")
    package_url = f"http://127.0.0.1:8000/conferences/{conference.slug}/information/"
    assert sent_to_watcher.subject == f"Recordings published: {conference.title}"
    assert package_url in sent_to_watcher.body_text
    missed_email = _archive_emails().get(to_email="borte@b.example")
    assert missed_email.subject == f"What you missed: {conference.title}"
    assert "did not follow the broadcast" in missed_email.body_text
    assert "did not follow the broadcast" not in sent_to_watcher.body_text
    assert package_url in missed_email.body_text


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_archive_email_is_in_the_registrants_language(conference, language):
    make_registration(conference=conference, language=language)

    publish_recording(recording_id=make_recording(conference=conference).pk, actor=None)

    [email] = _archive_emails()
    assert email.language == language


def test_archive_email_before_conference_was_live_has_no_missed_version(conference):
    registration = make_registration(conference=conference, language="en")

    publish_recording(recording_id=make_recording(conference=conference).pk, actor=None)

    [email] = _archive_emails()
    assert (email.kind, email.registration_id) == ("conference_archive", registration.pk)


def test_publish_recording_refused_queues_no_email(conference):
    make_registration(conference=conference)

    with pytest.raises(ConferenceError):
        publish_recording(
            recording_id=make_recording(conference=conference, captions=()).pk, actor=None
        )

    assert not _archive_emails().exists()


def test_publish_recording_rolled_back_leaves_no_email_and_no_log(conference):
    make_registration(conference=conference)
    recording = make_recording(conference=conference)

    class Boom(Exception):
        pass

    def publish_then_fail() -> None:
        with transaction.atomic():
            publish_recording(recording_id=recording.pk, actor=None)
            raise Boom

    with pytest.raises(Boom):
        publish_then_fail()

    assert (_archive_emails().count(), PackageChange.objects.count()) == (0, 0)
    assert Recording.objects.get(pk=recording.pk).published_at is None


@pytest.mark.django_db(transaction=True)
def test_publish_two_recordings_at_once_emails_each_registrant_once(media_root):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    registrations = [make_registration(conference=conference) for _ in range(3)]
    recordings = [make_recording(conference=conference) for _ in range(2)]

    outcomes = at_once(
        *(partial(publish_recording, recording_id=r.pk, actor=None) for r in recordings)
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]

    assert errors == []
    assert Recording.objects.filter(published_at__isnull=False).count() == 2
    assert sorted(_archive_emails().values_list("registration_id", flat=True)) == sorted(
        r.pk for r in registrations
    )


def test_recording_offset_of_moment_within_duration(conference):
    start = timezone.now().replace(microsecond=0)
    recording = make_recording(
        conference=conference, recorded_started_at=start, duration=dt.timedelta(minutes=10)
    )

    assert recording.offset_of(start + dt.timedelta(seconds=125)) == 125
    assert recording.offset_of(start - dt.timedelta(seconds=1)) is None
    assert recording.offset_of(start + dt.timedelta(minutes=10, seconds=1)) is None
