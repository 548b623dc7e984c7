"""Domain errors of the conferences app; their messages are translated and shown to users."""


class ConferenceError(Exception):
    """A conference rule was broken; ``str(exc)`` is a translated message for the user."""
