"""Everything that writes questions, answers, votes and attendance.

Lock order, to stay deadlock-free: conference (share) → the conference's vote broadcast row
(votes only) → question(s) by id → the live-event advisory lock (taken by
``live.record_event``, always last). Moderator actions carry the
version the moderator saw; a mismatch raises ``StaleQuestionError`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from conferences.services import lock_conference_for_share
from dialogkonferanse.audit.log import record_audit, record_change, snapshot
from dialogkonferanse.common.ratelimit import is_limited
from dialogkonferanse.common.tasks import enqueue_on_commit
from dialogkonferanse.outbox.queue import queue_email
from registrations.entry_links import issue_entry_link
from registrations.models import Registration
from registrations.selectors import active_registrations

from . import live, payloads
from .choices import ALLOWED_TRANSITIONS, PUBLIC_STATUSES, Channel, QuestionStatus
from .exceptions import QaClosedError, QaError, RateLimitedError, StaleQuestionError
from .models import Answer, AnswerDigest, Attendance, Question, Vote, VoteBroadcast

ASKING_STATUSES = (ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE)
AFTER_EVENT_STATUSES = (ConferenceStatus.FOLLOW_UP, ConferenceStatus.CLOSED)
MAX_TOPICS_LENGTH = 200


# --- Helpers ----------------------------------------------------------------------------------


# Whole sentences per kind of text: "Write the %s" with a separate noun cannot be translated.
_TEXT_MESSAGES = {
    "question": (
        gettext_lazy("Write your question."),
        gettext_lazy("The question can be at most %(max)d characters."),
    ),
    "reason": (
        gettext_lazy("Write the reason."),
        gettext_lazy("The reason can be at most %(max)d characters."),
    ),
    "answer": (
        gettext_lazy("Write the answer."),
        gettext_lazy("The answer can be at most %(max)d characters."),
    ),
}


def clean_text(value: str, *, max_length: int, field: str) -> str:
    """Plain text, trimmed; NUL removed (PostgreSQL refuses it). ``field`` is "question",
    "reason" or "answer". Raises ``QaError``."""
    empty, too_long = _TEXT_MESSAGES[field]
    text = (value or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if not text:
        raise QaError(str(empty))
    if len(text) > max_length:
        raise QaError(str(too_long) % {"max": max_length})
    return text


def _lock_conference_shared(conference_id: int) -> Conference:
    """The conference under a share lock (see ``lock_conference_for_share``)."""
    conference = lock_conference_for_share(conference_id)
    if conference is None:
        raise QaClosedError(_("This conference does not exist."))
    return conference


def ensure_accepts_questions(conference: Conference) -> None:
    """Questions and votes only while the conference is published or live (DOMAIN.md rule 1)."""
    if conference.status == ConferenceStatus.CLOSED:
        raise QaClosedError(
            _(
                "The dialogue is closed: the competition has been announced, so no new "
                "questions or votes are taken. The questions and answers are published on the "
                "conference page."
            )
        )
    if conference.status in AFTER_EVENT_STATUSES:
        raise QaClosedError(
            _(
                "The conference has ended: no new questions or votes. The questions and "
                "answers are published on the conference page."
            )
        )
    if conference.status not in ASKING_STATUSES:
        raise QaClosedError(_("This conference does not take questions now."))


def _active_registration(registration_id: int) -> Registration:
    registration = (
        Registration.objects.filter(
            pk=registration_id, cancelled_at__isnull=True, anonymised_at__isnull=True
        )
        .select_related("conference")
        .first()
    )
    if registration is None:
        raise QaError(_("Only active registrations can ask questions and vote."))
    return registration


def _publish_public(question: Question) -> None:
    live.record_event(
        conference_id=question.conference_id,
        channel=Channel.VIEWERS,
        kind="question",
        payload=payloads.public_question(question),
    )


def _publish_removed(question: Question) -> None:
    live.record_event(
        conference_id=question.conference_id,
        channel=Channel.VIEWERS,
        kind="question_removed",
        payload={"id": question.pk, "merged_into": question.merged_into_id},
    )


def _publish_moderators(question: Question, kind: str = "question") -> None:
    live.record_event(
        conference_id=question.conference_id,
        channel=Channel.MODERATORS,
        kind=kind,
        payload=payloads.moderator_question(question),
    )


# --- Viewers ------------------------------------------------------------------------------------


def ask_question(
    *,
    registration_id: int,
    text: str,
    show_company: bool = False,
    request_token: uuid.UUID | None = None,
) -> Question:
    """Store a question awaiting moderation and tell the moderators.

    Idempotent per ``request_token`` (the ask form's): the same form sent again (a double
    click, or sent again after a dropped connection lost the answer) returns the question it
    stored, with no second question, event or rate-limit count; the unique constraint
    ``question_unique_request_token`` settles two sends at the same moment.
    Rate limited per registration (``QA_QUESTION_RATE_LIMIT``, on the shared cache). Lock: the
    conference row FOR SHARE (no question slips past a closing). Side effect: a moderator event.
    """
    text = clean_text(text, max_length=settings.QA_QUESTION_MAX_LENGTH, field="question")
    registration = _active_registration(registration_id)
    if request_token is not None:
        sent = _asked_with(registration_id, request_token)
        if sent is not None:
            return sent
    limited, retry_after = is_limited(
        scope="qa-ask", key=str(registration_id), rate=settings.QA_QUESTION_RATE_LIMIT
    )
    if limited:
        raise RateLimitedError(
            _("You have asked many questions in a short time. Try again in %(seconds)d seconds.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )
    try:
        with transaction.atomic():
            conference = _lock_conference_shared(registration.conference_id)
            ensure_accepts_questions(conference)
            question = Question.objects.create(
                conference=conference,
                registration=registration,
                text=text,
                original_text=text,
                show_company=show_company,
                request_token=request_token,
            )
            _publish_moderators(question, kind="question_new")
    except IntegrityError:
        sent = _asked_with(registration_id, request_token) if request_token else None
        if sent is None:
            raise
        return sent  # the same form, sent at the same moment, was stored by the other send
    return question


def _asked_with(registration_id: int, request_token: uuid.UUID) -> Question | None:
    return Question.objects.filter(
        registration_id=registration_id, request_token=request_token
    ).first()


def vote_question(*, registration_id: int, question_id: int) -> Question:
    """Add the registration's one vote to a published question of its own conference.

    Lock: conference FOR SHARE, then the conference's ``VoteBroadcast`` row FOR UPDATE (votes
    of one conference take turns there, a few milliseconds each), then the question row FOR
    UPDATE (the count stays exact); ``Vote``'s unique constraint is the last guard. Always in
    this order, so the broadcast may update other questions' rows without a deadlock.
    Side effect: a vote-count event for viewers, at most one per conference per
    ``QA_VOTE_COALESCE_MS`` carrying every count changed since the last (a delayed flush
    sends the rest).
    """
    registration = _active_registration(registration_id)
    try:
        with transaction.atomic():
            conference = _lock_conference_shared(registration.conference_id)
            ensure_accepts_questions(conference)
            broadcast = _lock_vote_broadcast(conference.pk)
            question = (
                Question.objects.select_for_update()
                .filter(pk=question_id, conference_id=conference.pk, status__in=PUBLIC_STATUSES)
                .first()
            )
            if question is None:
                raise QaError(_("You can only vote for published questions."))
            with transaction.atomic():  # savepoint: the duplicate is reported, not a 500
                Vote.objects.create(question=question, registration=registration)
            question.vote_count += 1
            question.votes_flush_pending = True
            question.save(update_fields=["vote_count", "votes_flush_pending", "updated_at"])
            _coalesced_vote_event(broadcast)
    except IntegrityError:
        raise QaError(_("You have already voted for this question.")) from None
    return question


def _lock_vote_broadcast(conference_id: int) -> VoteBroadcast:
    broadcast, _created = VoteBroadcast.objects.select_for_update().get_or_create(
        conference_id=conference_id
    )
    return broadcast


def _coalesced_vote_event(broadcast: VoteBroadcast) -> None:
    """Called with the broadcast row locked: send the changed counts now, or leave them to a
    delayed flush (one per window)."""
    now = timezone.now()
    window = dt.timedelta(milliseconds=settings.QA_VOTE_COALESCE_MS)
    last = broadcast.sent_at
    stuck = broadcast.flush_pending and last is not None and now - last > 10 * window
    if last is None or now - last >= window or stuck:
        _publish_changed_counts(broadcast, now)
    elif not broadcast.flush_pending:
        broadcast.flush_pending = True
        broadcast.save(update_fields=["flush_pending"])
        delay = max((last + window - now).total_seconds(), 0.05)
        enqueue_on_commit(
            "qa.flush_vote_counts", countdown=delay, conference_id=broadcast.conference_id
        )


def _publish_changed_counts(broadcast: VoteBroadcast, now: dt.datetime) -> None:
    """One event with every count not yet sent (the broadcast row is locked)."""
    changed = Question.objects.filter(
        conference_id=broadcast.conference_id, votes_flush_pending=True
    )
    counts = dict(changed.order_by("pk").values_list("pk", "vote_count"))
    if counts:
        Question.objects.filter(pk__in=counts).update(votes_flush_pending=False)
        live.record_event(
            conference_id=broadcast.conference_id,
            channel=Channel.VIEWERS,
            kind="votes",
            payload={"counts": {str(pk): votes for pk, votes in counts.items()}},
        )
    broadcast.sent_at = now
    broadcast.flush_pending = False
    broadcast.save(update_fields=["sent_at", "flush_pending"])


def flush_vote_counts(*, conference_id: int) -> bool:
    """Send the conference's pending vote counts (the trailing edge of coalescing).

    Idempotent: does nothing unless a flush is pending. Lock: the broadcast row.
    """
    with transaction.atomic():
        broadcast = VoteBroadcast.objects.select_for_update().filter(pk=conference_id).first()
        if broadcast is None or not broadcast.flush_pending:
            return False
        _publish_changed_counts(broadcast, timezone.now())
    return True


def record_attendance(*, registration_id: int, now: dt.datetime | None = None) -> Attendance | None:
    """Note that a registration opened the stream page while the conference was live.

    Idempotent per registration (one row, a visit counter). Lock: the attendance row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = _active_registration(registration_id)
        if registration.conference.status != ConferenceStatus.LIVE:
            return None
        attendance, created = Attendance.objects.select_for_update().get_or_create(
            registration=registration,
            defaults={
                "conference_id": registration.conference_id,
                "first_seen_at": now,
                "last_seen_at": now,
            },
        )
        if not created:
            attendance.last_seen_at = now
            attendance.visits += 1
            attendance.save(update_fields=["last_seen_at", "visits"])
    return attendance


# --- Moderators -------------------------------------------------------------------------------


def _lock_question(*, conference_id: int, question_id: int, expected_version: int) -> Question:
    """The question locked FOR UPDATE, if the moderator saw its current version."""
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("registration")
        .filter(pk=question_id, conference_id=conference_id)
        .first()
    )
    if question is None:
        raise QaError(_("This question does not exist."))
    if question.version != expected_version:
        raise StaleQuestionError(stale_message(question))
    return question


def stale_message(question: Question) -> str:
    who = question.moderated_by.get_username() if question.moderated_by_id else ""
    state = {"status": question.get_status_display(), "who": who}
    if who:
        return (
            _(
                "Another moderator (%(who)s) changed this question first: it is now "
                "“%(status)s”. Your change was not saved; the question below shows what they did."
            )
            % state
        )
    return (
        _(
            "This question was changed while you were looking at it: it is now "
            "“%(status)s”. Your change was not saved; the question below shows the current "
            "state."
        )
        % state
    )


def _transition(question: Question, to_status: str) -> None:
    if to_status not in ALLOWED_TRANSITIONS[question.status]:
        raise StaleQuestionError(
            _("A question that is “%(status)s” cannot be changed that way.")
            % {"status": question.get_status_display()}
        )
    question.status = to_status


def _save_moderated(
    question: Question, moderator: AbstractBaseUser | None, fields: list[str]
) -> None:
    question.version += 1
    question.moderated_by = moderator  # type: ignore[assignment]
    question.save(update_fields=[*fields, "version", "moderated_by", "updated_at"])


def approve_question(
    *,
    conference_id: int,
    question_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
    text: str = "",
) -> Question:
    """Publish an awaiting question to every viewer, optionally with corrected wording (then
    ``text_edited_by`` names the moderator; an unchanged text names nobody).

    Lock: the question row; version checked. Side effects: viewer and moderator events.
    """
    with transaction.atomic():
        question = _lock_question(
            conference_id=conference_id, question_id=question_id, expected_version=expected_version
        )
        before = snapshot(question)
        _transition(question, QuestionStatus.PUBLISHED)
        fields = ["status", "text", "published_at"]
        if text.strip():
            edited = clean_text(text, max_length=settings.QA_QUESTION_MAX_LENGTH, field="question")
            if edited != question.text:
                # Only a real change of wording names its editor (the card shows it).
                question.text = edited
                question.text_edited_by = moderator  # type: ignore[assignment]
                fields.append("text_edited_by")
        question.published_at = timezone.now()
        _save_moderated(question, moderator, fields)
        record_change(actor=moderator, action="approve", obj=question, before=before)
        _publish_public(question)
        _publish_moderators(question)
    return question


def reject_question(
    *,
    conference_id: int,
    question_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
    reason: str,
) -> Question:
    """Do not publish a question; the asker sees the reason and gets an email (outbox).

    Lock: the question row; version checked. Side effects: moderator event, one email.
    """
    reason = clean_text(reason, max_length=1000, field="reason")
    with transaction.atomic():
        question = _lock_question(
            conference_id=conference_id, question_id=question_id, expected_version=expected_version
        )
        before = snapshot(question)
        _transition(question, QuestionStatus.REJECTED)
        question.rejection_reason = reason
        _save_moderated(question, moderator, ["status", "rejection_reason"])
        record_change(actor=moderator, action="reject", obj=question, before=before)
        registration = question.registration
        if registration.cancelled_at is None and registration.anonymised_at is None:
            conference = Conference.objects.select_related("buyer").get(pk=conference_id)
            queue_email(
                kind="qa_rejected",
                to=registration.email,
                language=registration.language,
                template="qa_rejected",
                context={"question": question, "registration": registration},
                idempotency_key=f"qa-rejected:{question.pk}",
                conference=conference,
                registration=registration,
                reply_to=conference.contact_email,
            )
        _publish_moderators(question)
    return question


def merge_question(
    *,
    conference_id: int,
    question_id: int,
    into_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
) -> Question:
    """Merge a duplicate into another question; its asker (and earlier duplicates' askers)
    follow that question from now on.

    Lock: both question rows, lower id first; the duplicate's version checked.
    Side effects: viewer events (removal, and the target when public), moderator events.
    """
    if into_id == question_id:
        raise QaError(_("A question cannot be merged into itself."))
    with transaction.atomic():
        first, second = sorted((question_id, into_id))
        locked = {
            q.pk: q
            for q in Question.objects.select_for_update(of=("self",))
            .select_related("registration")
            .filter(pk__in=(first, second), conference_id=conference_id)
            .order_by("pk")
        }
        if into_id not in locked or question_id not in locked:
            raise QaError(_("This question does not exist."))
        question, target = locked[question_id], locked[into_id]
        if question.version != expected_version:
            raise StaleQuestionError(stale_message(question))
        if not target.is_public:
            # The duplicate's asker sees the question they now follow: it must be public.
            raise QaError(_("Merge into a published or answered question (publish it first)."))
        was_public = question.is_public
        before = snapshot(question)
        _transition(question, QuestionStatus.MERGED)
        question.merged_into = target
        question.pinned = False
        _save_moderated(question, moderator, ["status", "merged_into", "pinned"])
        record_change(actor=moderator, action="merge", obj=question, before=before)
        # Earlier duplicates follow the final question too (their askers stay informed).
        Question.objects.filter(merged_into=question).update(merged_into=target)
        if was_public:
            _publish_removed(question)
        _publish_moderators(question)
        _publish_moderators(target)
    return question


def tag_question(
    *,
    conference_id: int,
    question_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
    topics: str,
) -> Question:
    """Set a question's topic tags (comma-separated). Lock: the question row; version checked."""
    tags = [t.strip() for t in (topics or "").replace("\x00", "").split(",") if t.strip()]
    cleaned = ", ".join(dict.fromkeys(tags))
    if len(cleaned) > MAX_TOPICS_LENGTH:
        raise QaError(_("Topics can be at most %(max)d characters.") % {"max": MAX_TOPICS_LENGTH})
    with transaction.atomic():
        question = _lock_question(
            conference_id=conference_id, question_id=question_id, expected_version=expected_version
        )
        before = snapshot(question)
        question.topics = cleaned
        _save_moderated(question, moderator, ["topics"])
        record_change(actor=moderator, action="tag", obj=question, before=before)
        if question.is_public:
            _publish_public(question)
        _publish_moderators(question)
    return question


def pin_question(
    *,
    conference_id: int,
    question_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
    pinned: bool,
) -> Question:
    """Mark a published question "being answered now" (one at a time), or clear the mark.

    Lock: the question row, then any other pinned question of the conference. Side effects:
    viewer and moderator events for each question changed.
    """
    with transaction.atomic():
        question = _lock_question(
            conference_id=conference_id, question_id=question_id, expected_version=expected_version
        )
        if pinned and question.status != QuestionStatus.PUBLISHED:
            raise QaError(_("Only a published, unanswered question can be pinned."))
        others: list[Question] = []
        if pinned:
            others = list(
                Question.objects.select_for_update(of=("self",))
                .filter(conference_id=conference_id, pinned=True)
                .exclude(pk=question.pk)
                .order_by("pk")
            )
            for other in others:
                other_before = snapshot(other)
                other.pinned = False
                _save_moderated(other, moderator, ["pinned"])
                record_change(actor=moderator, action="unpin", obj=other, before=other_before)
        before = snapshot(question)
        question.pinned = pinned
        _save_moderated(question, moderator, ["pinned"])
        record_change(
            actor=moderator, action="pin" if pinned else "unpin", obj=question, before=before
        )
        for changed in [*others, question]:
            if changed.is_public:
                _publish_public(changed)
            _publish_moderators(changed)
    return question


def mark_answered_live(
    *,
    conference_id: int,
    question_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
) -> Question:
    """Record that the buyer answered the question in the broadcast (clears the pin).

    Lock: the question row; version checked. Side effects: viewer and moderator events.
    """
    with transaction.atomic():
        question = _lock_question(
            conference_id=conference_id, question_id=question_id, expected_version=expected_version
        )
        before = snapshot(question)
        if question.status == QuestionStatus.PUBLISHED:
            _transition(question, QuestionStatus.ANSWERED)
        elif question.status != QuestionStatus.ANSWERED or question.answered_live:
            raise StaleQuestionError(stale_message(question))
        question.answered_live = True
        question.answered_at = question.answered_at or timezone.now()
        question.pinned = False
        _save_moderated(question, moderator, ["status", "answered_live", "answered_at", "pinned"])
        record_change(actor=moderator, action="answer_live", obj=question, before=before)
        _publish_public(question)
        _publish_moderators(question)
    return question


def answer_question(
    *,
    conference_id: int,
    question_id: int,
    moderator: AbstractBaseUser | None,
    expected_version: int,
    text: str,
) -> Question:
    """Write (or correct) the published answer to a question; it goes to every viewer.

    An awaiting question is published with its answer (there is no private answer). Lock: the
    question row; version checked. Side effects: viewer and moderator events.
    """
    text = clean_text(text, max_length=settings.QA_ANSWER_MAX_LENGTH, field="answer")
    now = timezone.now()
    with transaction.atomic():
        question = _lock_question(
            conference_id=conference_id, question_id=question_id, expected_version=expected_version
        )
        if question.status in (QuestionStatus.REJECTED, QuestionStatus.MERGED):
            raise StaleQuestionError(stale_message(question))
        before = snapshot(question)
        existing = Answer.objects.filter(question=question).first()
        answer_before = snapshot(existing)
        if question.status == QuestionStatus.AWAITING:
            question.published_at = now
        if question.status != QuestionStatus.ANSWERED:
            question.status = QuestionStatus.ANSWERED
        question.answered_at = question.answered_at or now
        question.pinned = False
        # The dashboard writes the Bokmål answer, whatever the moderator's language; the
        # Nynorsk and English versions are added in the admin (qa/translation.py).
        answer, created = Answer.objects.get_or_create(
            question=question,
            defaults={"text_nb": text, "author": moderator, "published_at": now},
        )
        if not created:
            answer.text_nb = text
            answer.author = moderator  # type: ignore[assignment]
            answer.save(update_fields=["text_nb", "author", "updated_at"])
        question.answer = answer
        _save_moderated(question, moderator, ["status", "published_at", "answered_at", "pinned"])
        record_audit(
            actor=moderator,
            action="answer" if created else "edit_answer",
            obj=answer,
            before=answer_before,
            after=snapshot(answer),
        )
        record_change(actor=moderator, action="answer", obj=question, before=before)
        _publish_public(question)
        _publish_moderators(question)
    return question


def send_answer_digest(*, conference_id: int, moderator: AbstractBaseUser | None) -> AnswerDigest:
    """After the event: email every active registrant the written answers not sent before.

    Lock: the conference row FOR UPDATE (one digest at a time). Side effects: one outbox email
    per registrant (idempotency key per digest and registration), sent after commit.
    """
    with transaction.atomic():
        conference = (
            Conference.objects.select_for_update(of=("self",))
            .select_related("buyer")
            .get(pk=conference_id)
        )
        if conference.status not in AFTER_EVENT_STATUSES:
            raise QaError(_("Written answers are emailed to everyone after the conference."))
        answers = list(
            Answer.objects.filter(question__conference_id=conference_id, digest__isnull=True)
            .select_related("question")
            .order_by("question__created_at", "question__pk")
        )
        if not answers:
            raise QaError(_("There are no new written answers to send."))
        digest = AnswerDigest.objects.create(conference=conference, sent_by=moderator)
        Answer.objects.filter(pk__in=[a.pk for a in answers]).update(digest=digest)
        items: list[dict[str, Any]] = [
            # The answer itself: each recipient's email shows it in their language or, where
            # that version is missing, in Bokmål with a note ({% translated %}).
            {"question": a.question.text, "answer": a}
            for a in answers
        ]
        recipients = 0
        for registration in active_registrations(conference_id=conference_id).order_by("pk"):
            # The email's own personal link to the registration, opening on any device.
            registration.conference = conference  # read for the link's expiry: no query per row
            link = issue_entry_link(registration=registration, purpose="qa_answer_digest")
            queue_email(
                kind="qa_answer_digest",
                to=registration.email,
                language=registration.language,
                template="qa_digest",
                context={"items": items, "registration": registration, "personal_url": link.url},
                idempotency_key=f"qa-digest:{digest.pk}:{registration.pk}",
                conference=conference,
                registration=registration,
                reply_to=conference.contact_email,
                secrets=[link.token],
            )
            recipients += 1
        digest.recipients = recipients
        digest.save(update_fields=["recipients"])
        record_audit(
            actor=moderator,
            action="send_answer_digest",
            obj=digest,
            changes={"answers": [None, len(answers)], "recipients": [None, recipients]},
        )
    return digest


# --- Conference status for viewers -------------------------------------------------------------


def announce_conference_status(*, conference_id: int, status: str) -> None:
    """Tell the conference's viewers its new lifecycle status (the stream page turns its
    countdown into the player when it goes live, and shows the end when it ends).

    Runs inside the status change's transaction, whose conference row lock is held; the
    live-event advisory lock comes after it, as everywhere (module docstring). Side effect: one
    live event on the viewers' channel, published after commit (nothing on rollback).
    """
    status = ConferenceStatus(status)
    live.record_event(
        conference_id=conference_id,
        channel=Channel.VIEWERS,
        kind="conference_status",
        payload={
            "status": status.value,
            "live": status == ConferenceStatus.LIVE,
            "ended": status in AFTER_EVENT_STATUSES,
        },
    )
