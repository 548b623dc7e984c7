"""Domain errors of the Q&A app; ``str(exc)`` is a translated message shown to the user."""

from __future__ import annotations


class QaError(Exception):
    """A Q&A rule was broken; nothing was stored."""


class QaClosedError(QaError):
    """The conference takes no questions or votes now (follow-up, closed, draft)."""


class RateLimitedError(QaError):
    """Too many questions from one registration in the configured window."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StaleQuestionError(QaError):
    """Another moderator changed the question first; the message says what they did."""
