"""The SMS interface: one method, one message to one phone number."""

from __future__ import annotations

from typing import Protocol


class SmsUnavailableError(Exception):
    """The SMS gateway did not take the message (timeout, refused, error answer)."""


class SmsBackend(Protocol):
    def send(self, *, phone: str, message: str) -> None:
        """Hand the message to the gateway; raise ``SmsUnavailableError`` when it fails."""
