from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    ANSWERED = "answered", _("Answered")
    REJECTED = "rejected", _("Not published")
    MERGED = "merged", _("Merged with a similar question")


# Statuses every viewer sees (DOMAIN.md rule 2: what one supplier is told, all are told).
PUBLIC_STATUSES = (QuestionStatus.PUBLISHED, QuestionStatus.ANSWERED)

# The moderation state machine: which status a question may move to from each status.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    QuestionStatus.AWAITING: (
        QuestionStatus.PUBLISHED,
        QuestionStatus.REJECTED,
        QuestionStatus.MERGED,
    ),
    QuestionStatus.PUBLISHED: (QuestionStatus.ANSWERED, QuestionStatus.MERGED),
    QuestionStatus.ANSWERED: (),
    QuestionStatus.REJECTED: (),
    QuestionStatus.MERGED: (),
}


class Channel(models.TextChoices):
    """Audiences of live updates: every viewer of a conference, or its moderators."""

    VIEWERS = "viewers", _("Viewers")
    MODERATORS = "moderators", _("Moderators")


class Handling(models.TextChoices):
    """How a public question was handled, as the public log states it."""

    ANSWERED_LIVE = "answered_live", _("Answered live")
    ANSWERED_IN_WRITING = "answered_in_writing", _("Answered in writing")
    NOT_ANSWERED = "not_answered", _("Not answered")
    NOT_PUBLISHED = "not_published", _("Not published")
    MERGED = "merged", _("Merged with a similar question")
