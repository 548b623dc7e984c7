"""The Q&A part of the personal-data registry: the person's questions and the answers to them,
their votes and attendance, and copies of their name in the live events. Registered in
``QaConfig.ready()``."""

from __future__ import annotations

from typing import Any

from dialogkonferanse.personal_data import (
    Anonymisation,
    PersonalDataHandler,
    export_row,
    scrub_rows,
)
from registrations.models import Registration

from .models import Answer, Attendance, LiveEvent, Question, Vote


class QaHandler(PersonalDataHandler):
    """Questions, answers and live events lose the person's values in their text; votes and
    attendance hold only ids and stay as they are (the counts stay)."""

    identifier = "qa"
    order = 20
    models = (Question, Answer, Vote, Attendance, LiveEvent)

    def export(self, registration: Registration) -> dict[str, Any]:
        questions = (
            Question.objects.filter(registration=registration)
            .select_related("answer")
            .order_by("created_at", "pk")
        )
        return {
            "questions": [
                {
                    **export_row(q, exclude=("registration", "conference")),
                    "answer": (
                        export_row(q.answer, exclude=("question",))
                        if getattr(q, "answer", None) is not None
                        else None
                    ),
                }
                for q in questions
            ],
            "votes": [
                {"question": v.question_id, "at": v.created_at.isoformat()}
                for v in Vote.objects.filter(registration=registration).order_by("pk")
            ],
            "attendance": [
                export_row(a, exclude=("registration", "conference"))
                for a in Attendance.objects.filter(registration=registration)
            ],
        }

    def anonymise(self, registration: Registration, run: Anonymisation) -> None:
        # Free text that may quote the person: theirs, and what staff wrote about it.
        questions = Question.objects.filter(registration_id=registration.pk)
        scrub_rows(questions, ("text", "original_text", "rejection_reason"), run.scrubber)
        scrub_rows(Answer.objects.filter(question__in=questions), ("text",), run.scrubber)
        scrub_rows(
            LiveEvent.objects.filter(conference_id=registration.conference_id),
            ("payload", "frame_data"),
            run.scrubber,
        )


def register_handlers(sender: Any, **kwargs: Any) -> list[type[PersonalDataHandler]]:
    return [QaHandler]
