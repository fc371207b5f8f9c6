"""Courier companies: the ``Courier`` interface, its implementations, and waybill numbers.

``courier_backend()`` returns the implementation the settings choose:
``COURIER_BACKEND = "console"`` (the embedded default: orders are logged, no
company is called) or ``"http"`` (``HttpCourier`` posting JSON to
``COURIER_HTTP_ENDPOINT``). Status comes back through the signed webhook
(``cases.services.delivery.webhook``).
"""

from __future__ import annotations

from onewindow.edges import edge_backend

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


def courier_backend() -> Courier:
    """The configured courier implementation (one per configuration and process)."""
    return edge_backend("COURIER", console=ConsoleCourier, http=HttpCourier, default_timeout=10.0)
