from __future__ import annotations

import json
import threading
import uuid

import pytest
from django.db import connection, transaction

from conferences.choices import ConferenceStatus
from conferences.services import transition_conference
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from qa import services
from qa.choices import Channel, QuestionStatus
from qa.exceptions import QaClosedError, QaError, RateLimitedError, StaleQuestionError
from qa.models import Answer, Attendance, LiveEvent, Question, Vote
from registrations.models import Registration
from tests.concurrency import at_once
from tests.factories import make_conference, make_moderator, make_question, make_registration

pytestmark = pytest.mark.django_db


def _events(conference, channel=None):
    rows = LiveEvent.objects.filter(conference=conference).order_by("id")
    if channel:
        rows = rows.filter(channel=channel)
    return [(e.channel, e.kind, json.loads(e.frame_data)) for e in rows]


def _common(question, **extra):
    return {
        "conference_id": question.conference_id,
        "question_id": question.pk,
        "moderator": None,
        "expected_version": question.version,
        **extra,
    }


# --- Asking -----------------------------------------------------------------------------------


def test_ask_question_live_stores_awaiting_and_tells_moderators_only(live_conference):
    registration = make_registration(conference=live_conference)

    question = services.ask_question(
        registration_id=registration.pk, text="  Hvor lang er kontrakten?\r\n ", show_company=True
    )

    question.refresh_from_db()
    assert (question.status, question.text, question.show_company) == (
        QuestionStatus.AWAITING,
        "Hvor lang er kontrakten?",
        True,
    )
    assert _events(live_conference) == [
        ("moderators", "question_new", {"id": question.pk, "status": "awaiting", "version": 1})
    ]


def test_ask_question_same_form_sent_twice_stores_one_question(live_conference, settings):
    settings.QA_QUESTION_RATE_LIMIT = "1/m"  # the second send would be refused if it counted
    registration = make_registration(conference=live_conference)
    token = uuid.uuid4()

    first = services.ask_question(registration_id=registration.pk, text="Én?", request_token=token)
    again = services.ask_question(registration_id=registration.pk, text="Én?", request_token=token)

    assert again.pk == first.pk
    assert Question.objects.filter(registration=registration).count() == 1
    assert [kind for _, kind, _ in _events(live_conference)] == ["question_new"]


@pytest.mark.django_db(transaction=True)
def test_ask_question_same_form_sent_at_the_same_moment_stores_one_question():
    conference = make_conference(status=ConferenceStatus.LIVE)
    registration = make_registration(conference=conference)
    token = uuid.uuid4()

    def send() -> int:
        return services.ask_question(
            registration_id=registration.pk, text="Samtidig?", request_token=token
        ).pk

    asked = at_once(send, send)

    assert len(asked) == 2
    assert asked[0] == asked[1]
    assert Question.objects.filter(registration=registration).count() == 1
    assert LiveEvent.objects.filter(conference=conference, kind="question_new").count() == 1


@pytest.mark.parametrize("status", [ConferenceStatus.FOLLOW_UP, ConferenceStatus.CLOSED])
def test_ask_question_after_event_refused_with_message(status):
    conference = make_conference(status=status)
    registration = make_registration(conference=conference)

    with pytest.raises(QaClosedError, match="no new questions"):
        services.ask_question(registration_id=registration.pk, text="Sent spørsmål?")

    assert Question.objects.count() == 0


def test_ask_question_cancelled_registration_refused(live_conference):
    registration = make_registration(conference=live_conference, cancelled_at="2026-01-01T10:00Z")

    with pytest.raises(QaError):
        services.ask_question(registration_id=registration.pk, text="Hei?")


@pytest.mark.parametrize(("text", "message"), [("   ", "Write"), ("x" * 1001, "at most 1000")])
def test_ask_question_invalid_text_refused(live_conference, text, message):
    registration = make_registration(conference=live_conference)

    with pytest.raises(QaError, match=message):
        services.ask_question(registration_id=registration.pk, text=text)


def test_ask_question_rate_limited_per_registration(live_conference, settings):
    settings.QA_QUESTION_RATE_LIMIT = "2/m"
    first = make_registration(conference=live_conference)
    other = make_registration(conference=live_conference)
    for n in range(2):
        services.ask_question(registration_id=first.pk, text=f"Spørsmål {n}?")

    with pytest.raises(RateLimitedError) as caught:
        services.ask_question(registration_id=first.pk, text="Ett til?")
    services.ask_question(registration_id=other.pk, text="Mitt første?")

    assert caught.value.retry_after > 0
    assert Question.objects.filter(registration=first).count() == 2
    assert Question.objects.filter(registration=other).count() == 1


# --- The moderation state machine -------------------------------------------------------------

ACTIONS = {
    "approve": lambda q: services.approve_question(**_common(q)),
    "reject": lambda q: services.reject_question(**_common(q, reason="Utenfor tema")),
    "answered_live": lambda q: services.mark_answered_live(**_common(q)),
    "answer": lambda q: services.answer_question(**_common(q, text="Svaret.")),
    "pin": lambda q: services.pin_question(**_common(q, pinned=True)),
}

# (starting status, action) → resulting status, or None when the action is refused.
MACHINE = [
    ("awaiting", "approve", "published"),
    ("awaiting", "reject", "rejected"),
    ("awaiting", "answered_live", None),
    ("awaiting", "answer", "answered"),
    ("awaiting", "pin", None),
    ("published", "approve", None),
    ("published", "reject", None),
    ("published", "answered_live", "answered"),
    ("published", "answer", "answered"),
    ("published", "pin", "published"),
    ("answered", "approve", None),
    ("answered", "reject", None),
    ("answered", "answered_live", "answered"),
    ("answered", "pin", None),
    ("rejected", "approve", None),
    ("rejected", "answer", None),
    ("rejected", "answered_live", None),
    ("merged", "approve", None),
    ("merged", "answer", None),
]


@pytest.mark.parametrize(("start", "action", "result"), MACHINE)
def test_moderation_state_machine(live_conference, start, action, result):
    extra = {}
    if start == "merged":
        extra["merged_into"] = make_question(conference=live_conference, status="published")
    question = make_question(conference=live_conference, status=start, **extra)

    if result is None:
        with pytest.raises(QaError):
            ACTIONS[action](question)
        question.refresh_from_db()
        assert (question.status, question.version) == (start, 1)
    else:
        ACTIONS[action](question)
        question.refresh_from_db()
        assert (question.status, question.version) == (result, 2)


def test_approve_question_with_corrected_wording_publishes_to_viewers(live_conference):
    question = make_question(conference=live_conference, text="hvor lang er kontrakten")
    moderator = make_moderator()

    services.approve_question(
        **_common(question, moderator=moderator, text="Hvor lang er kontrakten?")
    )

    question.refresh_from_db()
    assert (question.text, question.original_text, question.moderated_by) == (
        "Hvor lang er kontrakten?",
        "hvor lang er kontrakten",
        moderator,
    )
    viewer_events = _events(live_conference, Channel.VIEWERS)
    assert [(k, p["id"], p["text"], p["company"]) for _, k, p in viewer_events] == [
        ("question", question.pk, "Hvor lang er kontrakten?", "")
    ]


def test_reject_question_emails_asker_with_reason(live_conference):
    question = make_question(conference=live_conference, text="Hva tjener dere?")

    services.reject_question(**_common(question, reason="Gjelder ikke anskaffelsen"))

    question.refresh_from_db()
    assert (question.status, question.rejection_reason) == ("rejected", "Gjelder ikke anskaffelsen")
    email = OutboundEmail.objects.get(kind="qa_rejected")
    assert email.to_email == question.registration.email
    assert "Gjelder ikke anskaffelsen" in email.body_text
    assert "Hva tjener dere?" in email.body_text
    assert _events(live_conference, Channel.VIEWERS) == []


def test_reject_question_rolled_back_sends_no_email(live_conference):
    question = make_question(conference=live_conference)

    def reject_then_fail() -> None:
        with transaction.atomic():
            services.reject_question(**_common(question, reason="Nei"))
            raise RuntimeError("caller failed after the service")

    with pytest.raises(RuntimeError):
        reject_then_fail()

    assert OutboundEmail.objects.count() == 0
    assert LiveEvent.objects.count() == 0
    question.refresh_from_db()
    assert question.status == "awaiting"


def test_merge_question_askers_follow_target_and_chains_collapse(live_conference):
    target = make_question(conference=live_conference, status="published")
    duplicate = make_question(conference=live_conference, status="published")
    earlier = make_question(conference=live_conference, status="merged", merged_into=duplicate)

    services.merge_question(**_common(duplicate, into_id=target.pk))

    duplicate.refresh_from_db()
    earlier.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id, earlier.merged_into_id) == (
        "merged",
        target.pk,
        target.pk,
    )
    assert ("viewers", "question_removed", {"id": duplicate.pk, "merged_into": target.pk}) in (
        _events(live_conference)
    )


def test_merge_question_into_itself_or_rejected_refused(live_conference):
    question = make_question(conference=live_conference)
    rejected = make_question(conference=live_conference, status="rejected")

    with pytest.raises(QaError):
        services.merge_question(**_common(question, into_id=question.pk))
    with pytest.raises(QaError):
        services.merge_question(**_common(question, into_id=rejected.pk))


def test_merge_question_into_unmoderated_question_refused(live_conference):
    """The duplicate's asker would see another supplier's unmoderated text."""
    question = make_question(conference=live_conference)
    awaiting = make_question(conference=live_conference, text="Hemmelig pris?")

    with pytest.raises(QaError) as exc:
        services.merge_question(**_common(question, into_id=awaiting.pk))

    question.refresh_from_db()
    assert question.status == "awaiting"
    assert str(exc.value) == "Merge into a published or answered question (publish it first)."


def test_pin_question_unpins_the_previous_one(live_conference):
    first = make_question(conference=live_conference, status="published", pinned=True)
    second = make_question(conference=live_conference, status="published")

    services.pin_question(**_common(second, pinned=True))

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.pinned, second.pinned, first.version) == (False, True, 2)


def test_tag_question_normalises_topics(live_conference):
    question = make_question(conference=live_conference, status="published")

    services.tag_question(**_common(question, topics=" pris, ,oppetid,pris "))

    question.refresh_from_db()
    assert question.topics == "pris, oppetid"


def test_answer_question_twice_updates_the_one_answer(live_conference):
    question = make_question(conference=live_conference, status="published")
    services.answer_question(**_common(question, text="Første svar."))
    question.refresh_from_db()

    services.answer_question(**_common(question, text="Rettet svar."))

    assert list(Answer.objects.values_list("text", flat=True)) == ["Rettet svar."]
    assert _events(live_conference, Channel.VIEWERS)[-1][2]["answer"] == "Rettet svar."


def test_stale_version_changes_nothing_and_says_what_happened(live_conference):
    question = make_question(conference=live_conference)
    first = make_moderator(username="kari")
    services.approve_question(**_common(question, moderator=first))

    with pytest.raises(StaleQuestionError, match="kari") as caught:
        services.reject_question(**_common(question, reason="For sent"))  # old version 1

    question.refresh_from_db()
    assert "Published" in str(caught.value)
    assert (question.status, question.version, question.rejection_reason) == ("published", 2, "")


@pytest.mark.django_db(transaction=True)
def test_two_moderators_racing_exactly_one_wins(roles):
    conference = make_conference(status=ConferenceStatus.LIVE)
    question = make_question(conference=conference)
    moderators = [make_moderator(), make_moderator()]
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[Exception] = []

    def act(index: int) -> None:
        try:
            barrier.wait()
            if index == 0:
                services.approve_question(**_common(question, moderator=moderators[0]))
                results.append("published")
            else:
                services.reject_question(
                    **_common(question, moderator=moderators[1], reason="Duplikat")
                )
                results.append("rejected")
        except StaleQuestionError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    question.refresh_from_db()
    assert len(results) == 1
    assert len(errors) == 1
    assert (question.status, question.version) == (results[0], 2)
    assert OutboundEmail.objects.filter(kind="qa_rejected").count() == (
        1 if results[0] == "rejected" else 0
    )


# --- Votes ------------------------------------------------------------------------------------


def test_vote_question_once_per_registration(live_conference):
    question = make_question(conference=live_conference, status="published")
    registration = make_registration(conference=live_conference)
    services.vote_question(registration_id=registration.pk, question_id=question.pk)

    with pytest.raises(QaError, match="already voted"):
        services.vote_question(registration_id=registration.pk, question_id=question.pk)

    question.refresh_from_db()
    assert question.vote_count == 1
    assert Vote.objects.count() == 1


@pytest.mark.parametrize("status", ["awaiting", "rejected", "merged"])
def test_vote_question_not_public_refused(live_conference, status):
    extra = {"merged_into": make_question(conference=live_conference)} if status == "merged" else {}
    question = make_question(conference=live_conference, status=status, **extra)
    registration = make_registration(conference=live_conference)

    with pytest.raises(QaError):
        services.vote_question(registration_id=registration.pk, question_id=question.pk)


def test_vote_question_other_conference_refused(live_conference):
    other = make_conference(status=ConferenceStatus.LIVE)
    question = make_question(conference=other, status="published")
    registration = make_registration(conference=live_conference)

    with pytest.raises(QaError):
        services.vote_question(registration_id=registration.pk, question_id=question.pk)


def test_vote_question_after_event_refused():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    question = make_question(conference=conference, status="published")
    registration = make_registration(conference=conference)

    with pytest.raises(QaClosedError):
        services.vote_question(registration_id=registration.pk, question_id=question.pk)


def test_vote_events_coalesced_within_window(live_conference, settings):
    settings.QA_VOTE_COALESCE_MS = 60_000
    question = make_question(conference=live_conference, status="published")
    for _ in range(5):
        registration = make_registration(conference=live_conference)
        services.vote_question(registration_id=registration.pk, question_id=question.pk)

    question.refresh_from_db()
    vote_events = [p for _, kind, p in _events(live_conference) if kind == "votes"]
    assert vote_events == [{"counts": {str(question.pk): 1}}]
    assert (question.vote_count, question.votes_flush_pending) == (5, True)

    assert services.flush_vote_counts(conference_id=live_conference.pk) is True
    assert services.flush_vote_counts(conference_id=live_conference.pk) is False
    vote_events = [p for _, kind, p in _events(live_conference) if kind == "votes"]
    assert vote_events == [{"counts": {str(question.pk): 1}}, {"counts": {str(question.pk): 5}}]


def test_votes_on_many_questions_make_one_event_per_window(live_conference, settings):
    """Each event goes to every viewer: votes spread over questions must not multiply them."""
    settings.QA_VOTE_COALESCE_MS = 60_000
    questions = [make_question(conference=live_conference, status="published") for _ in range(4)]
    other = make_conference(status=ConferenceStatus.LIVE)
    elsewhere = make_question(conference=other, status="published")
    services.vote_question(
        registration_id=make_registration(conference=other).pk, question_id=elsewhere.pk
    )
    for question in questions * 3:
        registration = make_registration(conference=live_conference)
        services.vote_question(registration_id=registration.pk, question_id=question.pk)

    first, *rest = [p for _, kind, p in _events(live_conference) if kind == "votes"]
    assert (first, rest) == ({"counts": {str(questions[0].pk): 1}}, [])

    assert services.flush_vote_counts(conference_id=live_conference.pk) is True
    vote_events = [p for _, kind, p in _events(live_conference) if kind == "votes"]
    assert vote_events[1:] == [{"counts": {str(q.pk): 3 for q in questions}}]
    assert services.flush_vote_counts(conference_id=other.pk) is False  # nothing pending there


def test_flush_task_queued_by_an_earlier_release_flushes_the_conference(live_conference, settings):
    from qa.tasks import flush_vote_count_task

    settings.QA_VOTE_COALESCE_MS = 60_000
    question = make_question(conference=live_conference, status="published")
    for _ in range(2):
        registration = make_registration(conference=live_conference)
        services.vote_question(registration_id=registration.pk, question_id=question.pk)

    assert flush_vote_count_task(question_id=question.pk) is True
    assert flush_vote_count_task(question_id=question.pk) is False
    assert flush_vote_count_task(question_id=0) is False
    vote_events = [p for _, kind, p in _events(live_conference) if kind == "votes"]
    assert vote_events[-1] == {"counts": {str(question.pk): 2}}


@pytest.mark.django_db(transaction=True)
def test_vote_question_concurrent_same_registration_counts_once():
    conference = make_conference(status=ConferenceStatus.LIVE)
    question = make_question(conference=conference, status="published")
    registration = make_registration(conference=conference)
    count = 8
    barrier = threading.Barrier(count)
    ok: list[int] = []
    refused: list[Exception] = []

    def vote() -> None:
        try:
            barrier.wait()
            services.vote_question(registration_id=registration.pk, question_id=question.pk)
            ok.append(1)
        except QaError as exc:
            refused.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    question.refresh_from_db()
    assert (len(ok), len(refused)) == (1, count - 1)
    assert question.vote_count == 1
    assert Vote.objects.filter(question=question).count() == 1


@pytest.mark.django_db(transaction=True)
def test_vote_question_concurrent_many_registrations_lose_no_vote():
    conference = make_conference(status=ConferenceStatus.LIVE)
    question = make_question(conference=conference, status="published")
    registrations = [make_registration(conference=conference) for _ in range(8)]
    barrier = threading.Barrier(len(registrations))

    def vote(registration_id: int) -> None:
        try:
            barrier.wait()
            services.vote_question(registration_id=registration_id, question_id=question.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(r.pk,)) for r in registrations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    question.refresh_from_db()
    assert question.vote_count == 8 == Vote.objects.filter(question=question).count()


# --- Attendance, closing and the digest --------------------------------------------------------


def test_record_attendance_only_while_live_and_once_per_registration(live_conference):
    registration = make_registration(conference=live_conference)
    services.record_attendance(registration_id=registration.pk)
    services.record_attendance(registration_id=registration.pk)
    upcoming = make_registration(conference=make_conference())

    assert services.record_attendance(registration_id=upcoming.pk) is None
    attendance = Attendance.objects.get()
    assert (attendance.registration, attendance.visits) == (registration, 2)


def test_send_answer_digest_emails_every_active_registrant_once(live_conference, roles):
    answered = make_question(conference=live_conference, status="published", text="Pris?")
    services.answer_question(**_common(answered, text="Fastpris."))
    make_registration(conference=live_conference, cancelled_at="2026-01-01T10:00Z")
    active = Question.objects.values_list("registration__email", flat=True)
    with pytest.raises(QaError):  # not before the event has ended
        services.send_answer_digest(conference_id=live_conference.pk, moderator=None)
    transition_conference(
        conference_id=live_conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
    )

    digest = services.send_answer_digest(conference_id=live_conference.pk, moderator=None)

    emails = OutboundEmail.objects.filter(kind="qa_answer_digest")
    assert sorted(emails.values_list("to_email", flat=True)) == sorted(active)
    assert digest.recipients == 1
    assert "Pris?" in emails[0].body_text
    assert "Fastpris." in emails[0].body_text
    with pytest.raises(QaError, match="no new written answers"):
        services.send_answer_digest(conference_id=live_conference.pk, moderator=None)


def test_send_answer_digest_stored_hostile_address_fails_that_email_only(live_conference, roles):
    """An address stored before the rule on addresses (or around the models) is refused by the
    outbox without stopping the digest for everyone else."""
    answered = make_question(conference=live_conference, status="published", text="Pris?")
    services.answer_question(**_common(answered, text="Fastpris."))
    hostile = make_registration(conference=live_conference)
    Registration.objects.filter(pk=hostile.pk).update(email='"a\x0bBcc:x@evil.example"@p.example')
    transition_conference(
        conference_id=live_conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
    )

    digest = services.send_answer_digest(conference_id=live_conference.pk, moderator=None)

    statuses = sorted(
        OutboundEmail.objects.filter(kind="qa_answer_digest").values_list(
            "registration_id", "status"
        )
    )
    assert statuses == sorted(
        [(answered.registration_id, EmailStatus.QUEUED), (hostile.pk, EmailStatus.FAILED)]
    )
    assert digest.recipients == 2
