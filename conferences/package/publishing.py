"""Publishing the information package: saving and publishing recordings, documents and
clarifications.

Publishing and withdrawing lock the conference row, then the item, and append to the changelog
(``PackageChange``) in the same transaction. The first published recording of a conference
emails every active registrant the archive link, through the outbox, in that transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogkonferanse.audit.log import record_audit
from dialogkonferanse.common.translations import CONTENT_LANGUAGES, DEFAULT_LANGUAGE, text_in

from ..choices import ConferenceStatus, PackageAction, PackageItemKind
from ..exceptions import ConferenceError
from ..models import (
    VIDEO_CONTENT_TYPES,
    Clarification,
    Conference,
    Document,
    PackageChange,
    Recording,
)
from .emails import queue_archive_emails
from .stored_files import (
    check_stored_file,
    delete_files_on_commit,
    hash_on_commit,
    needs_stored_hash,
    new_file_digest,
    record_storage_etag,
)
from .transcripts import index_transcript


def _lock_conference(conference_id: int) -> Conference:
    return (
        Conference.objects.select_for_update(of=("self",))
        .select_related("buyer")
        .get(pk=conference_id)
    )


def _keep_publication(
    item: Recording | Document, *, changed_fields: set[str] | frozenset[str], file_field: str
) -> str:
    """Lock an existing item's row and keep its publication fields as in the database (they
    change only through the publish services); refuse a new file while it is published.
    Returns the name of the file stored before (empty for a new item)."""
    if item.pk is None:
        return ""
    current = (
        type(item)
        .objects.select_for_update()
        .only("published_at", "published_by", file_field)
        .get(pk=item.pk)
    )
    if current.published_at is not None and file_field in changed_fields:
        raise ConferenceError(
            _("A published file cannot be replaced. Withdraw it first; the change is logged.")
        )
    item.published_at = current.published_at
    item.published_by_id = current.published_by_id
    return getattr(current, file_field).name or ""


def _after_file_saved(item: Recording | Document, *, file_changed: bool, before: str) -> None:
    """A file that passed through this server (hashed already) keeps its object's entity tag;
    one sent straight to object storage is hashed by a task after commit. A replaced file is
    deleted from storage after commit."""
    field_file = getattr(item, "video_file" if isinstance(item, Recording) else "file")
    if file_changed or not item.storage_etag:
        etag_before = item.storage_etag
        record_storage_etag(item)
        if item.storage_etag != etag_before:
            item.save(update_fields=["storage_etag"])
        if needs_stored_hash(item):
            hash_on_commit(item)
    if before and before != field_file.name:
        delete_files_on_commit([before])


def save_recording(
    *,
    recording: Recording,
    changed_fields: set[str] | frozenset[str],
    digest: tuple[str, int] | None = None,
) -> Recording:
    """Save staff's edits to a recording; a new video file is hashed (streamed, in chunks), or
    ``digest`` (SHA-256, size) is taken from a resumable upload that hashed it as it arrived.

    Locks the recording row. The file of a published recording cannot change (the SHA-256 is
    the evidence of what was published); raises ``ConferenceError``.
    """
    with transaction.atomic():
        before = _keep_publication(
            recording, changed_fields=changed_fields, file_field="video_file"
        )
        file_changed = "video_file" in changed_fields
        if file_changed or (
            recording.video_file and not recording.sha256 and not needs_stored_hash(recording)
        ):
            if recording.video_file:
                recording.sha256, recording.size = digest or new_file_digest(recording.video_file)
                ext = "." + recording.video_file.name.rsplit(".", 1)[-1].lower()
                recording.content_type = VIDEO_CONTENT_TYPES.get(ext, "application/octet-stream")
            else:
                recording.sha256, recording.size, recording.content_type = "", None, ""
        if recording.video_file:
            recording.provider = ""
        recording.save()
        _after_file_saved(recording, file_changed=file_changed, before=before)
    return recording


def save_document(
    *,
    document: Document,
    changed_fields: set[str] | frozenset[str],
    digest: tuple[str, int] | None = None,
) -> Document:
    """Save a presentation document; a new PDF is hashed in chunks (or ``digest`` is taken from
    its resumable upload). Same rules as recordings."""
    with transaction.atomic():
        before = _keep_publication(document, changed_fields=changed_fields, file_field="file")
        file_changed = "file" in changed_fields
        if file_changed or (not document.sha256 and not needs_stored_hash(document)):
            document.sha256, document.size = digest or new_file_digest(document.file)
        document.save()
        _after_file_saved(document, file_changed=file_changed, before=before)
    return document


def save_clarification(*, clarification: Clarification) -> Clarification:
    """Save a clarification; a published one cannot be edited (withdraw, edit, publish again)."""
    with transaction.atomic():
        if clarification.pk is not None:
            current = Clarification.objects.select_for_update().get(pk=clarification.pk)
            if current.published_at is not None and (
                current.text != clarification.text or current.title != clarification.title
            ):
                raise ConferenceError(
                    _("A published clarification cannot be edited. Withdraw it first.")
                )
            clarification.published_at = current.published_at
            clarification.published_by_id = current.published_by_id
        clarification.save()
    return clarification


def _title_snapshot(item: Model) -> dict[str, str | None]:
    """The item's title in each language as it is now (``title_nb``, ``title_nn``,
    ``title_en``), whatever the actor's language: the changelog keeps what was published."""
    titles: dict[str, str | None] = {
        f"title_{language}": text_in(item, "title", language)[:200] or None
        for language in CONTENT_LANGUAGES
    }
    titles[f"title_{DEFAULT_LANGUAGE}"] = titles[f"title_{DEFAULT_LANGUAGE}"] or str(item)[:200]
    return titles


def _log(
    *,
    conference: Conference,
    item: Model,
    kind: PackageItemKind,
    action: PackageAction,
    actor: AbstractBaseUser | None,
    now: Any,
    sha256: str = "",
    note: str = "",
) -> PackageChange:
    """The public changelog entry, and the same change in the audit log."""
    published = action == PackageAction.PUBLISHED
    record_audit(
        actor=actor,
        action=str(action),
        obj=item,
        changes={"published": [not published, published]},
        note=" ".join(part for part in (note, f"sha256={sha256}" if sha256 else "") if part),
        conference_id=conference.pk,
    )
    return PackageChange.objects.create(
        conference=conference,
        action=action,
        item_kind=kind,
        item_id=item.pk,
        **_title_snapshot(item),
        sha256=sha256,
        note=note,
        changed_at=now,
        changed_by=actor,
    )


def _check_conference_public(conference: Conference) -> None:
    if conference.status == ConferenceStatus.DRAFT:
        raise ConferenceError(
            _("Publish the conference before publishing material in its information package.")
        )


def publish_recording(
    *,
    recording_id: int,
    actor: AbstractBaseUser | None,
    caption_override_reason: str = "",
) -> Recording:
    """Publish a recording in the information package (DOMAIN.md rules 2 and 10).

    Refused without captions unless staff give a written reason, which is recorded. An
    uploaded file's SHA-256 is checked against the stored bytes. Locks: the conference row,
    then the recording. Side effects: a changelog entry; with the conference's first published
    recording, one archive email per active registrant (outbox, same transaction).
    """
    reason = caption_override_reason.strip()
    with transaction.atomic():
        conference_id = Recording.objects.values_list("conference_id", flat=True).get(
            pk=recording_id
        )
        conference = _lock_conference(conference_id)
        recording = Recording.objects.select_for_update().get(pk=recording_id)
        if recording.published_at is not None:
            raise ConferenceError(
                _("“%(title)s” is already published.") % {"title": recording.title}
            )
        _check_conference_public(conference)
        has_captions = recording.captions.exists()
        if not has_captions and not reason:
            raise ConferenceError(
                _(
                    "“%(title)s” has no captions and was not published. Add a WebVTT caption "
                    "track, or give a written reason for publishing without captions."
                )
                % {"title": recording.title}
            )
        if recording.video_file:
            checked = check_stored_file(recording)
            digest, size = checked.sha256, checked.size
            if recording.sha256 and digest != recording.sha256:
                raise ConferenceError(
                    _(
                        "The stored file of “%(title)s” no longer matches the SHA-256 recorded "
                        "when it was uploaded. Upload it again."
                    )
                    % {"title": recording.title}
                )
            recording.sha256, recording.size = digest, size
            recording.storage_etag = checked.storage_etag
        first = not PackageChange.objects.filter(
            conference=conference,
            item_kind=PackageItemKind.RECORDING,
            action=PackageAction.PUBLISHED,
        ).exists()
        now = timezone.now()
        recording.published_at = now
        recording.published_by = actor  # type: ignore[assignment]
        recording.caption_override_reason = "" if has_captions else reason
        recording.save(
            update_fields=[
                "published_at",
                "published_by",
                "caption_override_reason",
                "sha256",
                "size",
                "storage_etag",
                "updated_at",
            ]
        )
        _log(
            conference=conference,
            item=recording,
            kind=PackageItemKind.RECORDING,
            action=PackageAction.PUBLISHED,
            actor=actor,
            now=now,
            sha256=recording.sha256,
            note="" if has_captions else reason,
        )
        index_transcript(recording=recording)
        if first:
            queue_archive_emails(conference=conference)
    return recording


def unpublish_recording(
    *, recording_id: int, actor: AbstractBaseUser | None, reason: str = ""
) -> Recording:
    """Withdraw a recording from the package; the withdrawal stays in the changelog.

    Locks: the conference row, then the recording.
    """
    return _unpublish(Recording, PackageItemKind.RECORDING, recording_id, actor, reason)


def _publish_simple(
    model: type[Document] | type[Clarification],
    kind: PackageItemKind,
    item_id: int,
    actor: AbstractBaseUser | None,
) -> Any:
    with transaction.atomic():
        conference_id = model.objects.values_list("conference_id", flat=True).get(pk=item_id)
        conference = _lock_conference(conference_id)
        item = model.objects.select_for_update().get(pk=item_id)
        if item.published_at is not None:
            raise ConferenceError(_("“%(title)s” is already published.") % {"title": item.title})
        _check_conference_public(conference)
        fields = ["published_at", "published_by", "updated_at"]
        sha256 = ""
        if isinstance(item, Document):
            checked = check_stored_file(item)
            if item.sha256 and checked.sha256 != item.sha256:
                raise ConferenceError(
                    _("The stored file of “%(title)s” no longer matches its SHA-256.")
                    % {"title": item.title}
                )
            item.sha256, item.size, sha256 = checked.sha256, checked.size, checked.sha256
            item.storage_etag = checked.storage_etag
            fields += ["sha256", "size", "storage_etag"]
        now = timezone.now()
        item.published_at = now
        item.published_by = actor
        item.save(update_fields=fields)
        _log(
            conference=conference,
            item=item,
            kind=kind,
            action=PackageAction.PUBLISHED,
            actor=actor,
            now=now,
            sha256=sha256,
        )
    return item


def _unpublish(
    model: type[Recording] | type[Document] | type[Clarification],
    kind: PackageItemKind,
    item_id: int,
    actor: AbstractBaseUser | None,
    reason: str,
) -> Any:
    with transaction.atomic():
        conference_id = model.objects.values_list("conference_id", flat=True).get(pk=item_id)
        conference = _lock_conference(conference_id)
        item = model.objects.select_for_update().get(pk=item_id)
        if item.published_at is None:
            raise ConferenceError(_("“%(title)s” is not published.") % {"title": item.title})
        item.published_at = None
        item.published_by = None
        fields = ["published_at", "published_by", "updated_at"]
        if isinstance(item, Recording):
            item.caption_override_reason = ""
            fields.append("caption_override_reason")
        item.save(update_fields=fields)
        _log(
            conference=conference,
            item=item,
            kind=kind,
            action=PackageAction.UNPUBLISHED,
            actor=actor,
            now=timezone.now(),
            note=reason.strip(),
        )
    return item


def publish_document(*, document_id: int, actor: AbstractBaseUser | None) -> Document:
    """Publish a presentation document; its SHA-256 is taken from the stored bytes.

    Locks: the conference row, then the document. Side effect: a changelog entry.
    """
    return _publish_simple(Document, PackageItemKind.DOCUMENT, document_id, actor)


def unpublish_document(
    *, document_id: int, actor: AbstractBaseUser | None, reason: str = ""
) -> Document:
    """Withdraw a document; logged. Locks: the conference row, then the document."""
    return _unpublish(Document, PackageItemKind.DOCUMENT, document_id, actor, reason)


def publish_clarification(
    *, clarification_id: int, actor: AbstractBaseUser | None
) -> Clarification:
    """Publish a written clarification to everyone. Locks: conference, then the clarification."""
    return _publish_simple(Clarification, PackageItemKind.CLARIFICATION, clarification_id, actor)


def unpublish_clarification(
    *, clarification_id: int, actor: AbstractBaseUser | None, reason: str = ""
) -> Clarification:
    """Withdraw a clarification; logged. Locks: the conference row, then the clarification."""
    return _unpublish(Clarification, PackageItemKind.CLARIFICATION, clarification_id, actor, reason)
