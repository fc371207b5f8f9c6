"""Celery tasks: each takes an id, re-reads the state, and calls one service.

Every task is safe to run twice: the service returns early when the work is
already done. Tasks are published only after the transaction that caused them
commits (``transaction.on_commit``), and acknowledged late, so a worker killed
mid-task leaves the message to be redelivered.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cases.start_approval", acks_late=True, reject_on_worker_lost=True)
def start_approval(approval_id: int) -> str:
    """Run an approval's automatic checks; decide it when the item allows (秒批)."""
    # Imported here: the services publish this task, so they import this module.
    from .services.checks import approval_run_checks

    return approval_run_checks(approval_id=approval_id).state


@shared_task(name="cases.book_delivery", acks_late=True, reject_on_worker_lost=True)
def book_delivery(delivery_id: int) -> str:
    """Place a courier parcel's order with the company; returns the booking status."""
    from .services.delivery import delivery_book

    return delivery_book(delivery_id=delivery_id).booking_status


@shared_task(name="cases.book_stale_deliveries", acks_late=True)
def book_stale_deliveries() -> int:
    """Periodic: re-publish courier orders that failed or whose message was lost."""
    from .services.delivery import deliveries_book_stale

    return deliveries_book_stale()
