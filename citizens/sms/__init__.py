"""SMS: the ``SmsBackend`` interface and its implementations.

``sms_backend()`` returns what the settings choose: ``SMS_BACKEND = "console"``
(the embedded default: the message, code included, is logged) or ``"http"``
(``HttpSmsBackend`` posting JSON to ``SMS_HTTP_ENDPOINT``).
"""

from __future__ import annotations

from onewindow.edges import edge_backend

from .base import SmsBackend, SmsUnavailableError
from .console import ConsoleSmsBackend
from .http import HttpSmsBackend

__all__ = [
    "ConsoleSmsBackend",
    "HttpSmsBackend",
    "SmsBackend",
    "SmsUnavailableError",
    "sms_backend",
]


def sms_backend() -> SmsBackend:
    """The configured SMS implementation (one per configuration and process)."""
    return edge_backend("SMS", console=ConsoleSmsBackend, http=HttpSmsBackend, default_timeout=5.0)
