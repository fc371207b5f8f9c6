"""Errors of the citizens' side; each message says what the citizen should do."""


class CitizenError(Exception):
    """A request from a citizen that cannot be carried out; the message says why."""


class SignInError(CitizenError):
    """Sign-in with a one-time code failed (the message never says whether the ID is known)."""


class SendTooOftenError(SignInError):
    """A new code was asked for too soon or too often."""


class RatingError(CitizenError):
    pass


class SupplementError(CitizenError):
    pass


class ApplyError(CitizenError):
    """An online application step that cannot be carried out; the message says what to do.
    ``field``: the input it is about (``<item>__<field>``, ``override_reason``), "" for
    the step as a whole."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field
