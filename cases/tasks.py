"""Celery tasks: each takes an id (or nothing), re-reads the state, and calls one service.

Every task is safe to run twice: the outbox row it runs is claimed with a
conditional UPDATE and its handler returns early when the work is already done.
Tasks are published only after the transaction that caused them commits, and
acknowledged late, so a worker killed mid-task leaves the message to be
redelivered; when the message itself is lost, the sweeper re-publishes the row.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cases.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str | None:
    """Run one outbox row (start an approval, issue a certificate...)."""
    # Imported here: the services publish this task, so they import this module.
    from .services.jobs import job_run

    job = job_run(job_id=job_id)
    return job.state if job is not None else None


@shared_task(name="cases.sweep_jobs")
def sweep_jobs() -> int:
    """Re-publish outbox rows whose message was lost or whose worker died (every 30 s)."""
    from .services.jobs import jobs_sweep

    return jobs_sweep()


@shared_task(name="cases.reconcile")
def reconcile() -> dict[str, int]:
    """Repair what a crash may have left: stuck approvals, missed unblocking or fan-in."""
    from .services.reconcile import cases_reconcile

    return cases_reconcile()


@shared_task(name="cases.colour_sla")
def colour_sla() -> dict[str, int]:
    """Colour open approvals amber at two thirds of their time and red when overdue."""
    from .services.sla import approvals_colour_sla

    return approvals_colour_sla()


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


@shared_task(name="cases.deem_accepted")
def deem_accepted() -> int:
    """Submissions left without a one-time notice past five working days are accepted by law."""
    from .services.intake import cases_deem_accepted

    return len(cases_deem_accepted())
