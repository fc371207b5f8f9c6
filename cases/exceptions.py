"""Domain errors. Views and the API turn each into a clear message; none leaves a trace but its log line."""


class CaseError(Exception):
    """Base of every domain error of ``cases``: its message is fit to show a user."""


class InvalidTransitionError(CaseError):
    """The transition is not allowed from the object's current state, or its condition fails."""


class ConcurrentTransitionError(CaseError):
    """Another request changed the same case or approval first; this one changed nothing."""


class TransitionPermissionError(CaseError):
    """The user may not perform this transition."""


class AppendOnlyError(CaseError):
    """Audit rows (events, data-access log) are never updated or deleted."""
