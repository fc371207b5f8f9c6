"""Courier companies: the ``Courier`` interface, its implementations, and waybill numbers.

``courier_backend()`` returns the implementation the settings choose:
``COURIER_BACKEND = "console"`` (the embedded default: orders are logged, no
company is called) or ``"http"`` (``HttpCourier`` posting JSON to
``COURIER_HTTP_ENDPOINT``). Status comes back through the signed webhook
(``cases.services.delivery.webhook``).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Booking, Courier, CourierUnavailableError, Shipment
from .fake import ConsoleCourier
from .http import HttpCourier

__all__ = [
    "Booking",
    "ConsoleCourier",
    "Courier",
    "CourierUnavailableError",
    "HttpCourier",
    "Shipment",
    "courier_backend",
]


@lru_cache(maxsize=4)
def _backend(name: str, endpoint: str, timeout: float, token: str) -> Courier:
    if name == "console":
        return ConsoleCourier()
    if name == "http":
        if not endpoint:
            raise ImproperlyConfigured("COURIER_BACKEND=http needs COURIER_HTTP_ENDPOINT")
        return HttpCourier(endpoint=endpoint, timeout=timeout, token=token)
    raise ImproperlyConfigured(f"COURIER_BACKEND must be 'console' or 'http', not {name!r}")


def courier_backend() -> Courier:
    """The configured courier implementation (one per configuration and process)."""
    return _backend(
        getattr(settings, "COURIER_BACKEND", "console"),
        getattr(settings, "COURIER_HTTP_ENDPOINT", ""),
        float(getattr(settings, "COURIER_HTTP_TIMEOUT", 10.0)),
        getattr(settings, "COURIER_HTTP_TOKEN", ""),
    )
