class NotificationError(Exception):
    """A notification request the app refuses, with a message for the person."""


class PreferenceError(NotificationError):
    """A preference that cannot be saved (e-mail switched on without an address)."""
