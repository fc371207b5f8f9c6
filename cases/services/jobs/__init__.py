"""The outbox (docs/architecture.md §4.6): work written as rows, executed by Celery, swept when lost.

``job_enqueue`` is called inside the transaction that makes the work necessary,
so the row exists exactly when the change does. After commit the job's id is
published to Celery; the worker claims the row with one conditional UPDATE
(so two deliveries of the same message run it once), calls the job's handler,
and marks it done — or back to pending with a later ``next_try_at``.

Nothing depends on the broker keeping a message: ``jobs_sweep`` (Celery beat,
every 5 s) re-publishes running jobs whose lease expired (their worker died) and
pending jobs whose message is known to be gone — but never a job that is queued and
unclaimed (see ``jobs_sweep``). Handlers are idempotent, so a job run twice changes
nothing.

What runs a job is one table of functions, ``JOB_HANDLERS`` (kind → handler), filled
by each app's ``AppConfig.ready()`` through ``job_handler_register``: a reader (and
a tool) follows a kind to its service from there. Publishing goes through the one
function the Celery side registers (``job_publisher_register``, in ``cases/apps.py``,
which sends ``cases.run_job`` from ``cases/tasks.py``): services never import tasks.
A job keeps the id of the request that enqueued it (``Job.request_id``, from
``onewindow.request_context``) and every message of it carries that id, a republish by
the sweeper too: the worker's log lines tie back to the request whatever the route.

A run's state is passed explicitly, never kept in a thread: a handler with a
``running_job`` parameter is given the ``RunningJob``, and hands it on to mark its
job done in its own transaction (``job_done_in_this_transaction``) and to the
``job_enqueue`` of the follow-up it records, which this worker may then run itself
(continuation, see ``job_handler_register``'s ``continuable``).

One module per concern: ``registry`` (the handler table, and the publisher and queue
counter the Celery side registers, kept there only), ``enqueue`` (recording a job),
``run`` (claim, run, done, retry, release), ``sweep`` (the sweeper and ``job_revive``).
"""

from __future__ import annotations

from .enqueue import job_enqueue
from .registry import (
    JOB_HANDLERS,
    JobHandler,
    JobPublisher,
    QueueCounter,
    job_handler_register,
    job_publisher_register,
    job_queue_counter_register,
)
from .run import (
    RETRY_DELAYS,
    RunningJob,
    job_done_in_this_transaction,
    job_run,
)
from .sweep import job_revive, jobs_sweep

__all__ = [
    "JOB_HANDLERS",
    "RETRY_DELAYS",
    "JobHandler",
    "JobPublisher",
    "QueueCounter",
    "RunningJob",
    "job_done_in_this_transaction",
    "job_enqueue",
    "job_handler_register",
    "job_publisher_register",
    "job_queue_counter_register",
    "job_revive",
    "job_run",
    "jobs_sweep",
]
