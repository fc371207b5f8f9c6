"""The embedded default: no gateway, the message (with the code) goes to the log."""

from __future__ import annotations

import logging

from departments.identifiers import mask_phone

logger = logging.getLogger("citizens.sms")


class ConsoleSmsBackend:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, message: str) -> None:
        # The demo has no SMS gateway: whoever runs it reads the code here.
        logger.info("SMS to %s: %s", mask_phone(phone), message)
        self.sent.append((phone, message))
        del self.sent[:-100]
