"""Payment gateways: the ``PaymentProvider`` interface and its two implementations.

``payment_provider()`` returns what the settings choose: ``PAYMENT_BACKEND = "console"``
(the embedded default: ``DevelopmentProvider``, our own page plays the gateway) or
``"http"`` (``HttpGatewayProvider`` at ``PAYMENT_HTTP_ENDPOINT``, signing with the
merchant key ``PAYMENT_HTTP_TOKEN``; ``PAYMENT_MERCHANT_ID`` names us to it).
"""

from __future__ import annotations

from onewindow.edges import edge_backend

from .base import PaymentProvider, StatementLine, VerifiedNotification
from .dev import DevelopmentProvider
from .http import HttpGatewayProvider

__all__ = [
    "DevelopmentProvider",
    "HttpGatewayProvider",
    "PaymentProvider",
    "StatementLine",
    "VerifiedNotification",
    "payment_provider",
]


def payment_provider() -> PaymentProvider:
    """The configured gateway (one per configuration and process)."""
    return edge_backend(
        "PAYMENT", console=DevelopmentProvider, http=HttpGatewayProvider, default_timeout=10.0
    )
