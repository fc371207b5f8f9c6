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


class SignUpError(SignInError):
    """Sign-up cannot go on: bad input, a wrong code, or the real-name check failed.
    ``field``: the input it is about (``name``, ``id_number``, ``phone``), "" for none."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class PhoneOnFileError(SignUpError):
    """The person already has another phone on file: it is changed at the window only."""


class RealNameMismatchError(SignUpError):
    """The population registry does not confirm this name for this ID number (or has no
    such record): the message never reveals the registered name."""


class IdentityCheckUnavailableError(SignUpError):
    """The registry could not be read (no agreement, no registry, or it is down): the
    person is neither accepted nor refused; they try again later or go to the window."""


class DelegationError(CitizenError):
    """Acting for an organisation, or granting or revoking a delegation, was refused."""
