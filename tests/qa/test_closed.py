"""A closed dialogue takes no questions and no votes, with a message that says why."""

from __future__ import annotations

import pytest

from conferences.choices import ConferenceStatus
from qa.exceptions import QaClosedError
from qa.models import Question, Vote
from qa.services import ask_question, vote_question
from tests.factories import make_conference, make_question, make_registration

pytestmark = pytest.mark.django_db

CLOSED = "The dialogue is closed: the competition has been announced, so no new questions"


def test_ask_question_refused_when_closed():
    registration = make_registration(conference=make_conference(status=ConferenceStatus.CLOSED))

    with pytest.raises(QaClosedError, match=CLOSED):
        ask_question(registration_id=registration.pk, text="Kommer det en ny runde?")

    assert not Question.objects.exists()


def test_vote_refused_when_closed():
    conference = make_conference(status=ConferenceStatus.CLOSED)
    question = make_question(conference=conference, status="published")
    voter = make_registration(conference=conference)

    with pytest.raises(QaClosedError, match=CLOSED):
        vote_question(registration_id=voter.pk, question_id=question.pk)

    assert not Vote.objects.exists()
