"""Refunds: the fee of a denied case goes back.

A periodic, set-based sweep (``payments.refund_sweep``, Celery beat; also
``manage.py payments_refund_sweep``) finds the paid payments of denied cases (still
denied, or closed after the denial) in one query, moves each to ``refund_pending``
under its row lock and records an outbox job keyed by the payment: a second sweep,
or two at once, finds nothing new and enqueues nothing twice. The job asks the
gateway (outside any lock; the refund id is the order's, so a retry is recognised)
and then marks the payment refunded.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from cases.constants import CaseState
from cases.models import CaseEvent
from cases.services.jobs import job_enqueue

from ..constants import REFUND_JOB, PaymentState
from ..models import Payment
from ..providers import payment_provider
from .settlement import payment_locked, payment_record_event


def payments_to_refund() -> list[int]:
    """Ids of paid payments whose case was denied: one query."""
    denied = CaseEvent.objects.filter(case_id=OuterRef("case_id"), to_state=CaseState.DENIED)
    return list(
        Payment.objects.filter(state=PaymentState.PAID)
        .alias(denied=Exists(denied))
        .filter(Q(case__state=CaseState.DENIED) | Q(case__state=CaseState.CLOSED, denied=True))
        .values_list("pk", flat=True)
    )


def payments_refund_sweep() -> int:
    """Start the refund of every paid fee of a denied case. Returns how many started."""
    started = 0
    for payment_id in payments_to_refund():
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update()
                .filter(pk=payment_id, state=PaymentState.PAID)
                .first()
            )
            if payment is None:  # another sweep took it
                continue
            payment.refund_start()
            payment.save(update_fields=["state", "updated_at"])
            job_enqueue(
                kind=REFUND_JOB,
                key=f"payments:refund:{payment.pk}",
                payload={"payment_id": payment.pk},
            )
            started += 1
    return started


def payment_refund_job(*, payment_id: int) -> None:
    """The outbox handler: the gateway refunds, then the payment is marked refunded.
    Run twice, the second run finds it refunded and does nothing."""
    payment = Payment.objects.select_related("case").filter(pk=payment_id).first()
    if payment is None or payment.state != PaymentState.REFUND_PENDING:
        return
    payment_provider().refund(payment)
    with transaction.atomic():
        locked = payment_locked(payment)
        if locked.state != PaymentState.REFUND_PENDING:
            return
        locked.refund_complete()
        locked.save(update_fields=["state", "refunded_at", "updated_at"])
        payment_record_event(payment=locked, name="fee_refunded")
