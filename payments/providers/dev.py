"""The development gateway: our own page stands in for the gateway's (the embedded default).

``order_create`` points the payer to ``/payments/dev/<order>/``, a page with "pay" and
"cancel". "Pay" has the page build the notification a gateway would send, signed with
the development key, and hand it to the same service the notification endpoint runs
(``payment_notification_receive``): verification, idempotency and conclusion are the
real ones. Nothing leaves the process; the statement is what this gateway collected,
read back from the payments it marked paid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .base import StatementLine, VerifiedNotification, order_id_for, signed
from .parsing import form_fields, verified_notification

if TYPE_CHECKING:
    from ..models import Payment

logger = logging.getLogger(__name__)


def development_key() -> str:
    """``PAYMENT_DEV_KEY``, or one derived from ``SECRET_KEY`` (never the key itself)."""
    configured = getattr(settings, "PAYMENT_DEV_KEY", "")
    if configured:
        return configured
    return hashlib.sha256(f"payments-dev:{settings.SECRET_KEY}".encode()).hexdigest()


class DevelopmentProvider:
    name = "dev"

    def order_create(self, payment: Payment) -> tuple[str, str]:
        order_id = order_id_for(payment)
        return order_id, reverse("payments:dev_page", kwargs={"order_id": order_id})

    def notification_body(self, *, order_id: str, amount: str) -> bytes:
        """What the development gateway posts when the payer presses "pay"."""
        fields = signed(
            {
                "order_id": order_id,
                "transaction_id": f"DEV{uuid.uuid4().hex[:24].upper()}",
                "amount": amount,
                "status": "SUCCESS",
                "paid_at": timezone.now().isoformat(timespec="seconds"),
            },
            development_key(),
        )
        return urlencode(fields).encode("utf-8")

    def notification_parse(self, body: bytes, headers: Mapping[str, str]) -> VerifiedNotification:
        return verified_notification(form_fields(body), key=development_key())

    def statement_fetch(self, day: dt.date) -> list[StatementLine]:
        from ..selectors import payments_collected_on

        return [
            StatementLine(order_id=order_id, transaction_id=transaction_id, amount=amount)
            for order_id, transaction_id, amount in payments_collected_on(
                day=day, provider=self.name
            )
        ]

    def refund(self, payment: Payment) -> None:
        logger.info(
            "development gateway refunds %s (%s yuan)", payment.provider_order_id, payment.amount
        )
