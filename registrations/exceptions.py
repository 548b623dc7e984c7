"""Domain errors of the registrations app; ``str(exc)`` is a translated message for the user."""


class RegistrationError(Exception):
    """A registration rule was broken; the message is shown to the user as it is."""


class RegistrationClosedError(RegistrationError):
    """The conference does not take registrations now (window, status); nothing was stored."""


class InvalidRegistrationError(RegistrationError):
    """The details break a rule of the registration model; nothing was stored.

    ``errors`` is the ``ValidationError`` (``message_dict`` maps fields to messages).
    """

    def __init__(self, message: str, *, errors: Exception) -> None:
        super().__init__(message)
        self.errors = errors
