"""Domain errors. Views and the API turn each into a clear message; none leaves a trace but its log line."""


class CaseError(Exception):
    """Base of every domain error of ``cases``: its message is fit to show a user."""


class ApplicantInputError(CaseError):
    """Bad applicant input; ``field`` names the input it is about."""

    def __init__(self, message: str, *, field: str = "id_number") -> None:
        super().__init__(message)
        self.field = field


class InvalidTransitionError(CaseError):
    """The transition is not allowed from the object's current state, or its condition fails."""


class ConcurrentTransitionError(CaseError):
    """Another request changed the same case or approval first; this one changed nothing."""


class TransitionPermissionError(CaseError):
    """The user may not perform this transition."""


class AppendOnlyError(CaseError):
    """Audit rows (events, data-access log) are never updated or deleted."""


class DeliveryInputError(CaseError):
    """What the clerk or the courier sent is incomplete or wrong; ``errors`` says it per field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("；".join(message for messages in errors.values() for message in messages))


class DeliveryStateError(CaseError):
    """The parcel's status cannot move that way (e.g. a delivered parcel reported failed)."""


class DeliveryNotFoundError(CaseError):
    """No parcel with that courier and waybill."""


class WebhookAuthenticationError(CaseError):
    """A courier webhook call without a valid signature: ignored, answered 401."""


class WebhookReplayError(CaseError):
    """A courier webhook call that is stale or reuses an event id for other content: answered 400."""
