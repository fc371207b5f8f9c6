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

from typing import Any

from celery import shared_task

from onewindow.celery import OutageRetryingTask
from onewindow.request_context import TASK_HEADER

from .services.delivery import deliveries_book_stale, delivery_book
from .services.intake import cases_deem_accepted
from .services.jobs import job_run, jobs_sweep
from .services.reconcile import cases_reconcile
from .services.sla import approvals_colour_sla


@shared_task(
    name="cases.run_job",
    base=OutageRetryingTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_job(self, job_id: int) -> str | None:
    """Run one outbox row (start an approval, issue a certificate...).

    Each try of the message claims the row in its own name (the task id and the try); a
    retry after a database outage takes over what its earlier tries still hold, since
    their worker could not write back that it let go (see ``job_run``)."""
    request = self.request
    if request.id is None:  # called directly (a test, a shell)
        job = job_run(job_id=job_id)
    else:
        retries = request.retries or 0
        job = job_run(
            job_id=job_id,
            run_id=f"{request.id}/{retries}",
            earlier_run_ids=[f"{request.id}/{number}" for number in range(retries)],
        )
    return job.state if job is not None else None


def run_job_publish(job_id: int, queue: str | None, request_id: str | None = None) -> None:
    """The outbox's sender (``job_publisher_register``): one job's id to its queue, its
    message carrying the id of the request that enqueued the job (a republish by the
    sweeper, which runs in no request, too)."""
    options: dict[str, Any] = {}
    if queue is not None:
        options["queue"] = queue
    if request_id is not None:
        options["headers"] = {TASK_HEADER: request_id}
    run_job.apply_async((job_id,), **options)


# A sweep not run within its interval is replaced by the next one: its retries expire.
def queued_messages(queue: str | None) -> int:
    """The outbox's queue counter (``job_queue_counter_register``): how many messages wait
    in a Celery queue, by kombu's passive ``queue_declare``. Tasks run in-process (the
    embedded mode) never wait in a queue."""
    from celery import current_app

    if current_app.conf.task_always_eager:
        return 0
    name = queue or current_app.conf.task_default_queue
    with current_app.connection_for_read() as broker:
        broker.ensure_connection(max_retries=1)
        try:
            return broker.default_channel.queue_declare(queue=name, passive=True).message_count
        except broker.channel_errors:
            return 0  # Redis keeps no empty list: kombu answers NOT_FOUND


@shared_task(name="cases.sweep_jobs", base=OutageRetryingTask, expires=5)
def sweep_jobs() -> int:
    """Re-publish outbox rows whose message was lost or whose worker died (every 5 s)."""
    return jobs_sweep()


@shared_task(name="cases.reconcile", base=OutageRetryingTask)
def reconcile() -> dict[str, int]:
    """Repair what a crash may have left: stuck approvals, missed unblocking or fan-in."""
    return cases_reconcile()


@shared_task(name="cases.colour_sla", base=OutageRetryingTask)
def colour_sla() -> dict[str, int]:
    """Colour open approvals amber at two thirds of their time and red when overdue."""
    return approvals_colour_sla()


@shared_task(
    name="cases.book_delivery", base=OutageRetryingTask, acks_late=True, reject_on_worker_lost=True
)
def book_delivery(delivery_id: int) -> str:
    """Place a courier parcel's order with the company; returns the booking status."""
    return delivery_book(delivery_id=delivery_id).booking_status


def book_delivery_publish(delivery_id: int) -> None:
    """Courier orders' sender (``booking_publisher_register``)."""
    book_delivery.delay(delivery_id)


@shared_task(name="cases.book_stale_deliveries", base=OutageRetryingTask, acks_late=True)
def book_stale_deliveries() -> int:
    """Periodic: re-publish courier orders that failed or whose message was lost."""
    return deliveries_book_stale()


@shared_task(name="cases.deem_accepted", base=OutageRetryingTask)
def deem_accepted() -> int:
    """Submissions left without a one-time notice past five working days are accepted by law."""
    return len(cases_deem_accepted())
