"""Domain errors of the registrations app; ``str(exc)`` is a translated message for the user."""


class RegistrationError(Exception):
    """A registration rule was broken; the message is shown to the user as it is."""


class RegistrationClosedError(RegistrationError):
    """The conference does not take registrations now (window, status); nothing was stored."""
