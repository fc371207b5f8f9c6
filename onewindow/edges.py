"""The choice between an external service's real (HTTP) client and its console stand-in.

Couriers and the SMS gateway are true external edges: each has an interface, an
``http`` implementation that calls the company, and a ``console`` one (the embedded
default) that only logs. ``edge_backend`` reads ``<PREFIX>_BACKEND``,
``<PREFIX>_HTTP_ENDPOINT``, ``<PREFIX>_HTTP_TIMEOUT`` and ``<PREFIX>_HTTP_TOKEN`` and
returns one instance per configuration and process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def edge_backend(
    prefix: str, *, console: Callable[[], Any], http: Callable[..., Any], default_timeout: float
) -> Any:
    """The configured implementation of the edge named ``prefix`` (``COURIER``, ``SMS``)."""
    return _edge_backend(
        prefix,
        console,
        http,
        getattr(settings, f"{prefix}_BACKEND", "console"),
        getattr(settings, f"{prefix}_HTTP_ENDPOINT", ""),
        float(getattr(settings, f"{prefix}_HTTP_TIMEOUT", default_timeout)),
        getattr(settings, f"{prefix}_HTTP_TOKEN", ""),
    )


@lru_cache(maxsize=8)
def _edge_backend(
    prefix: str,
    console: Callable[[], Any],
    http: Callable[..., Any],
    name: str,
    endpoint: str,
    timeout: float,
    token: str,
) -> Any:
    if name == "console":
        return console()
    if name == "http":
        if not endpoint:
            raise ImproperlyConfigured(f"{prefix}_BACKEND=http needs {prefix}_HTTP_ENDPOINT")
        return http(endpoint=endpoint, timeout=timeout, token=token)
    raise ImproperlyConfigured(f"{prefix}_BACKEND must be 'console' or 'http', not {name!r}")
