class SignInError(Exception):
    """A sign-in was refused; the message says why, for the person signing in."""

    code = "sign_in_failed"


class SignInLockedError(SignInError):
    """Too many failures for this account or from this address (django-axes)."""

    code = "locked_out"


class CredentialsInvalidError(SignInError):
    code = "invalid_credentials"


class SecondFactorRequiredError(SignInError):
    """The account must also give a current code (TOTP) or a recovery code."""

    code = "otp_required"


class SecondFactorInvalidError(SignInError):
    code = "otp_invalid"


class SecondFactorNotSetUpError(SignInError):
    """The account must use a second factor but has not set one up yet (on the web)."""

    code = "otp_not_set_up"
