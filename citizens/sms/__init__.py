"""SMS: the ``SmsBackend`` interface and its implementations.

``sms_backend()`` returns what the settings choose: ``SMS_BACKEND = "console"``
(the embedded default: the message, code included, is logged) or ``"http"``
(``HttpSmsBackend`` posting JSON to ``SMS_HTTP_ENDPOINT``).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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


@lru_cache(maxsize=4)
def _backend(name: str, endpoint: str, timeout: float, token: str) -> SmsBackend:
    if name == "console":
        return ConsoleSmsBackend()
    if name == "http":
        if not endpoint:
            raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_ENDPOINT")
        return HttpSmsBackend(endpoint=endpoint, timeout=timeout, token=token)
    raise ImproperlyConfigured(f"SMS_BACKEND must be 'console' or 'http', not {name!r}")


def sms_backend() -> SmsBackend:
    """The configured SMS implementation (one per configuration and process)."""
    return _backend(
        getattr(settings, "SMS_BACKEND", "console"),
        getattr(settings, "SMS_HTTP_ENDPOINT", ""),
        float(getattr(settings, "SMS_HTTP_TIMEOUT", 5.0)),
        getattr(settings, "SMS_HTTP_TOKEN", ""),
    )
