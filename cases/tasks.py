"""Celery tasks: each takes an id (or nothing), re-reads the state, and calls one service.

Every task is safe to run twice: the outbox row it runs is claimed with a
conditional UPDATE and its handler returns early when the work is already done.
Tasks are published only after the transaction that caused them commits, and
acknowledged late, so a worker killed mid-task leaves the message to be
redelivered; when the message itself is lost, the sweeper re-publishes the row.

Data flows one way: this module imports the services, never the reverse. The two
services that send messages (the outbox, courier orders) get their senders from
here, registered by ``CasesConfig.ready()``.
"""

from __future__ import annotations

from celery import shared_task

from .services.delivery import deliveries_book_stale, delivery_book
from .services.intake import cases_deem_accepted
from .services.jobs import job_run, jobs_sweep
from .services.reconcile import cases_reconcile
from .services.sla import approvals_colour_sla


@shared_task(name="cases.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str | None:
    """Run one outbox row (start an approval, issue a certificate...)."""
    job = job_run(job_id=job_id)
    return job.state if job is not None else None


def run_job_publish(job_id: int, queue: str | None) -> None:
    """The outbox's sender (``job_publisher_register``): one job's id to its queue."""
    if queue is None:
        run_job.apply_async((job_id,))
    else:
        run_job.apply_async((job_id,), queue=queue)


@shared_task(name="cases.sweep_jobs")
def sweep_jobs() -> int:
    """Re-publish outbox rows whose message was lost or whose worker died (every 30 s)."""
    return jobs_sweep()


@shared_task(name="cases.reconcile")
def reconcile() -> dict[str, int]:
    """Repair what a crash may have left: stuck approvals, missed unblocking or fan-in."""
    return cases_reconcile()


@shared_task(name="cases.colour_sla")
def colour_sla() -> dict[str, int]:
    """Colour open approvals amber at two thirds of their time and red when overdue."""
    return approvals_colour_sla()


@shared_task(name="cases.book_delivery", acks_late=True, reject_on_worker_lost=True)
def book_delivery(delivery_id: int) -> str:
    """Place a courier parcel's order with the company; returns the booking status."""
    return delivery_book(delivery_id=delivery_id).booking_status


def book_delivery_publish(delivery_id: int) -> None:
    """Courier orders' sender (``booking_publisher_register``)."""
    book_delivery.delay(delivery_id)


@shared_task(name="cases.book_stale_deliveries", acks_late=True)
def book_stale_deliveries() -> int:
    """Periodic: re-publish courier orders that failed or whose message was lost."""
    return deliveries_book_stale()


@shared_task(name="cases.deem_accepted")
def deem_accepted() -> int:
    """Submissions left without a one-time notice past five working days are accepted by law."""
    return len(cases_deem_accepted())
