"""Why an appointment was refused. Each message is shown as it is, to the citizen, the
clerk or the kiosk; nothing was written when one is raised."""

from __future__ import annotations


class AppointmentError(Exception):
    """A refusal with a message for the person in front of the screen; ``field`` names
    the form field it is about, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class SlotFullError(AppointmentError):
    """The slot has no place left (the API answers 409)."""


class AlreadyBookedError(AppointmentError):
    """The person already holds an open appointment for this queue on this day."""


class AppointmentNotFoundError(AppointmentError):
    """No such appointment here (the kiosk counts it as a failure towards its limit)."""
