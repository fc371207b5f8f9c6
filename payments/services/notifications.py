"""The gateway's asynchronous notification: verified, logged, and applied at most once.

Every notification is logged (``PaymentNotification``: the body's SHA-256, whether the
signature held, what we did). A bad signature changes nothing else and is answered
400. A good one marks the order paid under the payment's row lock; the transaction id
is unique, so the same notification again — replayed, or two deliveries at once — is
a logged no-op answered like the first (the gateway stops retrying).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from ..constants import NotificationOutcome, PaymentState
from ..exceptions import NotificationInvalidError
from ..models import Payment, PaymentNotification
from ..providers import PaymentProvider, VerifiedNotification, payment_provider
from .settlement import payment_mark_paid

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationResult:
    outcome: str
    is_accepted: bool  # the signature held: we answer the gateway "success"
    detail: str = ""


def payment_notification_receive(
    *, body: bytes, headers: Mapping[str, str], provider: PaymentProvider | None = None
) -> NotificationResult:
    """Verify and apply one notification; see the module's docstring."""
    provider = provider or payment_provider()
    digest = hashlib.sha256(body).hexdigest()
    try:
        notification = provider.notification_parse(body, headers)
    except NotificationInvalidError as error:
        logger.warning("payment notification rejected (%s): %s", digest[:12], error)
        PaymentNotification.objects.create(
            provider=provider.name,
            body_sha256=digest,
            is_signature_valid=False,
            outcome=NotificationOutcome.REJECTED,
            detail=str(error)[:300],
        )
        return NotificationResult(NotificationOutcome.REJECTED, False, str(error))
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(provider_order_id=notification.order_id)
            .first()
        )
        outcome, detail = _apply(payment, notification)
        PaymentNotification.objects.create(
            provider=provider.name,
            body_sha256=digest,
            is_signature_valid=True,
            provider_order_id=notification.order_id,
            provider_transaction_id=notification.transaction_id,
            payment=payment,
            outcome=outcome,
            detail=detail[:300],
        )
    if outcome not in (NotificationOutcome.PAID, NotificationOutcome.DUPLICATE):
        logger.warning("payment notification %s: %s %s", notification.order_id, outcome, detail)
    return NotificationResult(outcome, True, detail)


def _apply(payment: Payment | None, notification: VerifiedNotification) -> tuple[str, str]:
    if payment is None:
        return NotificationOutcome.UNKNOWN_ORDER, ""
    if payment.provider_transaction_id == notification.transaction_id:
        return NotificationOutcome.DUPLICATE, ""
    if payment.state != PaymentState.PENDING:
        # Paid twice under two transactions, or paid after a waiver: the money is the
        # reconciliation's to report; this payment stays as it is.
        return NotificationOutcome.NOT_PAYABLE, f"state {payment.state}"
    if notification.amount != payment.amount:
        return NotificationOutcome.AMOUNT_MISMATCH, f"{notification.amount} != {payment.amount}"
    try:
        with transaction.atomic():  # the savepoint keeps a clash from aborting the log
            payment_mark_paid(
                payment=payment,
                transaction_id=notification.transaction_id,
                paid_at=notification.paid_at,
            )
    except IntegrityError:  # that transaction id already paid another order
        return NotificationOutcome.DUPLICATE, "transaction id used by another payment"
    return NotificationOutcome.PAID, ""
