"""The outbox's wiring: the table of job handlers, and the broker's edge (the function
that publishes a job, the one that counts a queue's messages) that the Celery side
registers. The table and the registered functions live here only: the other modules
read them from this module when they run."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import DatabaseError

from ...constants import JobState
from ...models import Job

# The package's name, as before it was split: log lines keep naming cases.services.jobs.
logger = logging.getLogger(__package__)


@dataclass(frozen=True)
class JobHandler:
    """What runs one kind of job (see ``job_handler_register``)."""

    function: Callable[..., object]
    queue: str | None = None
    is_continuable: bool = False
    takes_running_job: bool = False


# kind → its handler. Filled by the apps' ``ready()``; read-only afterwards.
JOB_HANDLERS: dict[str, JobHandler] = {}

# Sends one job's id to a Celery queue (``None``: the default queue): called as
# ``publisher(job_id, queue)``, and with ``request_id=`` when it has that parameter.
JobPublisher = Callable[..., None]
_publisher: JobPublisher | None = None
_publisher_takes_request_id = False

# How many messages wait in a Celery queue (``None``: the default queue).
QueueCounter = Callable[[str | None], int]
_queue_counter: QueueCounter | None = None


def job_handler_register(
    *,
    kind: str,
    function: Callable[..., object],
    queue: str | None = None,
    continuable: bool = False,
) -> None:
    """Make ``function`` the handler of ``kind``: it is called with the job's payload as
    keyword arguments (and ``running_job=`` if it has that parameter) and must be
    idempotent.

    ``queue``: the Celery queue of its messages, for slow work that must not hold up
    the approvals (workers: ``-Q celery,documents``). ``continuable``: a worker may go
    on with such a job itself — the first one that a running job's handler records
    (``job_enqueue(..., running_job=...)``) is run next by the same worker, after
    commit, instead of being sent through the broker. Its row is written all the same,
    already claimed by the worker under a lease, so running it costs no claim; if the
    worker dies first, the lease runs out and the sweeper publishes it. Further jobs
    go through the broker, to other workers, in parallel: an approval that unblocks
    two others continues with one and hands the other on.
    """
    handler = JobHandler(
        function=function,
        queue=queue,
        is_continuable=continuable,
        takes_running_job="running_job" in inspect.signature(function).parameters,
    )
    registered = JOB_HANDLERS.get(kind)
    if registered is not None and registered != handler:
        raise ValueError(f"job kind {kind!r} is handled by {registered.function!r} already")
    JOB_HANDLERS[kind] = handler


def job_publisher_register(publisher: JobPublisher | None) -> JobPublisher | None:
    """Set the function that sends a job's id to its queue; returns the one it replaces
    (a test or a benchmark that collects the messages puts the real one back). A
    publisher with a ``request_id`` parameter is given the job's request id."""
    global _publisher, _publisher_takes_request_id
    previous, _publisher = _publisher, publisher
    _publisher_takes_request_id = (
        publisher is not None and "request_id" in inspect.signature(publisher).parameters
    )
    return previous


def job_queue_counter_register(counter: QueueCounter | None) -> QueueCounter | None:
    """Set the function that tells how many messages wait in a queue (the sweeper's way
    to see that messages were lost); returns the one it replaces."""
    global _queue_counter
    previous, _queue_counter = _queue_counter, counter
    return previous


def _publish(
    jobs: list[tuple[int, str]],
    *,
    robust: bool = False,
    request_ids: Mapping[int, str | None] | None = None,
) -> None:
    """Send ``(id, kind)`` jobs to their queues, each message with its job's request id
    (``request_ids``, by job id); ``robust`` logs a failed send instead of raising, and
    clears the job's "queued" marker, so the sweeper sends it again."""
    unsent: list[int] = []
    try:
        _publish_each(jobs, robust=robust, unsent=unsent, request_ids=request_ids or {})
    finally:
        if unsent:
            try:
                Job.objects.filter(pk__in=unsent, state=JobState.PENDING).update(published_at=None)
            except DatabaseError:
                logger.exception("could not mark %s jobs as unsent", len(unsent))


def _publish_each(
    jobs: list[tuple[int, str]],
    *,
    robust: bool,
    unsent: list[int],
    request_ids: Mapping[int, str | None],
) -> None:
    for job_id, kind in jobs:
        handler = JOB_HANDLERS.get(kind)
        queue = handler.queue if handler is not None else None
        try:
            if _publisher is None:
                raise RuntimeError("no job publisher registered (is the cases app installed?)")
            if _publisher_takes_request_id:
                _publisher(job_id, queue, request_id=request_ids.get(job_id))
            else:
                _publisher(job_id, queue)
        except Exception:
            unsent.append(job_id)
            if not robust:
                raise
            # The row stays pending; the next sweep tries again.
            logger.exception("could not publish job %s", job_id)
