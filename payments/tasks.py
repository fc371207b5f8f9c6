from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask

from .services.refunds import payments_refund_sweep


@shared_task(name="payments.refund_sweep", base=OutageRetryingTask, expires=600)
def refund_sweep() -> int:
    """Start the refund of every paid fee of a denied case (set-based, idempotent)."""
    return payments_refund_sweep()
