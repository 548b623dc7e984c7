from __future__ import annotations

import pytest

from qa.choices import QuestionStatus
from qa.demo import seed_qa
from qa.models import Question
from tests.factories import make_conference

pytestmark = pytest.mark.django_db


def test_seed_qa_has_every_state_and_is_idempotent():
    conference = make_conference()

    seed_qa(conference)
    seed_qa(conference)

    statuses = set(Question.objects.filter(conference=conference).values_list("status", flat=True))
    assert statuses == set(QuestionStatus.values)
    assert Question.objects.filter(conference=conference).count() == 6
