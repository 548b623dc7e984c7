"""Domain errors of the meetings app; ``str(exc)`` is a translated message for the user."""

from django.utils.translation import gettext


class MeetingError(Exception):
    """A meeting rule was broken; the message is shown to the user as it is."""


class SlotTakenError(MeetingError):
    """The slot was booked (or is held for someone on the waiting list) by someone else."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or gettext("That slot was just taken. Please choose another."))
