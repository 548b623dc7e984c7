"""The JSON of live events, built once per event. Viewer payloads never name the asker
(only the company, when the asker chose to show it); moderator payloads carry ids only and the
dashboard fetches the card, rendered for that moderator."""

from __future__ import annotations

from typing import Any

from .models import Question


def public_question(question: Question) -> dict[str, Any]:
    """Everything a viewer may know about a published question. Plain text: clients insert it
    with ``textContent``, never as HTML."""
    answer = getattr(question, "answer", None)
    return {
        "id": question.pk,
        "text": question.text,
        "company": question.public_author,
        "status": question.status,
        "votes": question.vote_count,
        "pinned": question.pinned,
        "answered_live": question.answered_live,
        # One payload for every viewer: the answer as written in the dashboard (Bokmål); the
        # page, when reloaded, shows the reader's language or marks the Bokmål fallback.
        "answer": (answer.text_nb or "") if answer is not None else "",
        "topics": question.topic_list,
        "handling": question.handling.value,
    }


def moderator_question(question: Question) -> dict[str, Any]:
    return {"id": question.pk, "status": question.status, "version": question.version}
