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
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from onewindow.request_context import current_request_id

from ..constants import JobState
from ..models import Job

logger = logging.getLogger(__name__)


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

# Seconds to wait before the n-th retry (the last value repeats).
RETRY_DELAYS = (10, 30, 60, 300, 900, 3600)


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


@dataclass
class _WorkerRun:
    """One ``job_run`` call: the follow-ups kept for it, in order, and whether it still
    runs them (a follow-up kept after it ended is published instead)."""

    kept: list[Job] = field(default_factory=list)
    is_open: bool = True
    # Who claims in this run (``<task id>/<try>``; empty outside a worker).
    run_id: str = ""


class RunningJob:
    """One run of a claimed job's handler, given to a handler that asks for it."""

    def __init__(self, *, job: Job, worker_run: _WorkerRun) -> None:
        self.job = job
        self.worker_run = worker_run
        # Whether this run kept a follow-up for its worker already (one at most).
        self.has_kept = False
        # Whether the job's "done" was committed with the handler's own work.
        self.is_done_committed = False

    def _may_keep(self) -> bool:
        return not self.has_kept and self.worker_run.is_open

    def _keep(self, job: Job) -> None:
        """After commit: the worker goes on with ``job`` — unless its run has ended
        already (a caller's transaction committed later); then it is released."""
        if self.worker_run.is_open:
            self.worker_run.kept.append(job)
        else:
            _job_release(jobs=[job])

    def _done_committed(self) -> None:
        self.is_done_committed = True


def job_enqueue(
    *,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    running_job: RunningJob | None = None,
) -> Job:
    """Record work that must happen; it is published when the current transaction commits.

    The same ``key`` twice returns the existing row: the unique constraint, not
    a check, decides. Safe inside or outside a transaction. ``running_job``: the job
    whose handler records this one; a continuable kind may then be kept for its worker.
    """
    handler = JOB_HANDLERS.get(kind)
    if handler is None:
        raise ValueError(f"unknown job kind {kind!r}")
    now = timezone.now()
    job = Job(
        kind=kind,
        key=key,
        payload=payload or {},
        next_try_at=now,
        published_at=now,
        request_id=current_request_id(),
    )
    keeper = (
        running_job
        if running_job is not None and handler.is_continuable and running_job._may_keep()
        else None
    )
    if keeper is not None:
        # This worker runs it next, after commit: the row is written already claimed
        # by that run (its first attempt, under a lease), so running it costs no claim.
        # If the worker dies first, the lease runs out and the sweeper publishes it.
        job.state, job.attempts, job.published_at = JobState.RUNNING, 1, None
        job.claimed_by = running_job.worker_run.run_id
        job.lease_until = now + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    try:
        # The savepoint keeps a clash from aborting the caller's transaction.
        with transaction.atomic():
            job.save(force_insert=True)
    except IntegrityError:
        existing = Job.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    if keeper is not None:
        keeper.has_kept = True
        transaction.on_commit(lambda: keeper._keep(job))
        return job
    # The change is committed by then: neither a failed publish (broker down) nor,
    # in embedded mode where the task runs in-process, a failing job may turn the
    # request that caused it into an error. The row records the failure and the
    # sweeper (or ``manage.py reconcile``) runs it again.
    transaction.on_commit(
        lambda: _publish([(job.pk, kind)], robust=True, request_ids={job.pk: job.request_id})
    )
    return job


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


_CLAIM_COLUMNS = ("id", "kind", "key", "payload", "attempts")


def _job_claim(
    *, job_id: int, now: dt.datetime, run_id: str = "", earlier_run_ids: Sequence[str] = ()
) -> Job | None:
    """Take the job if it is due, if its worker's lease ran out, or if an earlier try of
    this same message holds it (``earlier_run_ids``: that try met a database outage and
    could not write back that it let go): one conditional ``UPDATE ... RETURNING``, so of
    two deliveries of one message only one wins. The claim clears the "queued" marker
    (``published_at``): the message is taken. Plain SQL: ``QuerySet.update()`` answers a
    count, not the row it changed."""
    quote = connection.ops.quote_name
    table = quote(Job._meta.db_table)
    lease_until = now + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    taken_over = ""
    if earlier_run_ids:
        marks = ", ".join(["%s"] * len(earlier_run_ids))
        taken_over = f" OR (state = %s AND claimed_by IN ({marks}))"
    sql = (
        f"UPDATE {table} SET state = %s, attempts = attempts + 1, lease_until = %s, updated_at = %s, "
        f"claimed_by = %s, published_at = NULL "
        f"WHERE id = %s AND ((state = %s AND next_try_at <= %s) OR (state = %s AND lease_until < %s){taken_over}) "
        f"RETURNING {', '.join(quote(column) for column in _CLAIM_COLUMNS)}"
    )
    field = Job._meta.get_field
    params = [
        JobState.RUNNING,
        field("lease_until").get_db_prep_value(lease_until, connection),
        field("updated_at").get_db_prep_value(now, connection),
        run_id,
        job_id,
        JobState.PENDING,
        field("next_try_at").get_db_prep_value(now, connection),
        JobState.RUNNING,
        field("lease_until").get_db_prep_value(now, connection),
    ]
    if earlier_run_ids:
        params += [JobState.RUNNING, *earlier_run_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_CLAIM_COLUMNS, row, strict=True))
    payload = values["payload"]
    if isinstance(payload, str):  # SQLite hands JSON back as text
        payload = json.loads(payload)
    return Job(
        id=values["id"],
        kind=values["kind"],
        key=values["key"],
        payload=payload,
        attempts=values["attempts"],
        state=JobState.RUNNING,
        lease_until=lease_until,
    )


def _job_done(*, job: Job, finished: dt.datetime) -> None:
    """Mark the claimed run done (if this run still holds it): one plain UPDATE."""
    job.state, job.done_at, job.lease_until, job.last_error = JobState.DONE, finished, None, ""
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
        state=JobState.DONE, done_at=finished, lease_until=None, last_error="", updated_at=finished
    )


def job_run(*, job_id: int, run_id: str = "", earlier_run_ids: Sequence[str] = ()) -> Job | None:
    """Claim the job and run its handler, then the follow-ups it kept for this worker
    (see ``job_handler_register``). Returns the job, or ``None`` when someone else holds
    it, it is done, or it is not due yet (a duplicate message changes nothing).

    ``run_id`` names this try of the message; ``earlier_run_ids`` its earlier tries. A
    retry after a database outage (onewindow/celery.py) takes over the job they held and
    releases the follow-ups they kept, instead of waiting out their lease (minutes)."""
    worker_run = _WorkerRun(run_id=run_id)
    if earlier_run_ids:
        _job_release(
            jobs=list(
                Job.objects.filter(state=JobState.RUNNING, claimed_by__in=list(earlier_run_ids))
                .exclude(pk=job_id)
                .only("pk", "kind")
            )
        )
    try:
        job = _job_claim(
            job_id=job_id, now=timezone.now(), run_id=run_id, earlier_run_ids=earlier_run_ids
        )
        if job is not None:
            _job_run_claimed(job=job, worker_run=worker_run)
        while worker_run.kept:
            _job_run_claimed(job=worker_run.kept.pop(0), worker_run=worker_run)
    except BaseException:
        # Whatever was kept for this worker is released and goes through the broker. With
        # the database gone that fails too; the message's retry releases them then.
        try:
            _job_release(jobs=worker_run.kept)
        except DatabaseError:
            logger.exception("could not release %s kept jobs", len(worker_run.kept))
        raise
    finally:
        worker_run.is_open = False
    return job


def _job_release(*, jobs: list[Job]) -> None:
    """Kept follow-ups this worker will not run: back to pending, then published."""
    if not jobs:
        return
    now = timezone.now()
    Job.objects.filter(pk__in=[job.pk for job in jobs], state=JobState.RUNNING).update(
        state=JobState.PENDING,
        attempts=0,
        lease_until=None,
        claimed_by="",
        published_at=now,
        updated_at=now,
    )
    _publish(
        [(job.pk, job.kind) for job in jobs],
        robust=True,
        request_ids={job.pk: job.request_id for job in jobs},
    )


def job_done_in_this_transaction(*, running_job: RunningJob | None) -> None:
    """Mark the job being run done inside the current transaction, so the handler's work
    and its "done" commit together (one durable commit less per job, and no moment when
    the work is in but the job still looks unfinished). A handler calls it in the
    transaction that completes its work; outside a job (``None``: a direct call, a test)
    it does nothing. If that transaction rolls back, the run marks the job done (or
    failed) as it otherwise would."""
    if running_job is None:
        return
    _job_done(job=running_job.job, finished=timezone.now())
    transaction.on_commit(running_job._done_committed)


def _job_run_claimed(*, job: Job, worker_run: _WorkerRun) -> Job:
    handler = JOB_HANDLERS[job.kind]
    running_job = RunningJob(job=job, worker_run=worker_run)
    arguments = dict(job.payload)
    if handler.takes_running_job:
        arguments["running_job"] = running_job
    try:
        handler.function(**arguments)
    except Exception as error:
        finished = timezone.now()
        gave_up = job.attempts >= settings.JOB_MAX_ATTEMPTS
        logger.exception("job %s failed (attempt %s)", job.key, job.attempts)
        try:
            # Its message was taken (the claim cleared ``published_at``): the sweeper
            # sends it again once ``next_try_at`` comes.
            Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
                state=JobState.FAILED if gave_up else JobState.PENDING,
                next_try_at=finished + _retry_delay(job.attempts),
                lease_until=None,
                last_error=f"{type(error).__name__}: {error}"[:2000],
                updated_at=finished,
            )
        except DatabaseError:
            # The database is gone (the handler's error was that, most likely): the job
            # stays claimed by this try, and the message's retry takes it over.
            logger.exception("could not record the failure of job %s", job.key)
        raise
    if not running_job.is_done_committed:
        _job_done(job=job, finished=timezone.now())
    return job


def jobs_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Re-publish jobs whose message is gone. Returns how many were published.

    A job whose message is queued and not yet claimed is left alone however old it is:
    with no worker on its queue (no ``documents`` worker, say) it waits there, and sending
    it again every sweep only piled up duplicates (1,200 PDF jobs republished on each
    sweep). ``published_at`` is the "queued" marker: set when the message is sent,
    cleared when a worker claims the job or the send failed. Republished are:

    * running jobs whose lease ran out (their worker died);
    * pending jobs that are due and not queued: the send failed, or a failed run put
      the job back for a later try (its message was consumed);
    * queued jobs whose messages the broker lost (a Redis restart without persistence).
      The broker says how many messages wait in each queue (kombu's passive
      ``queue_declare``, the supported way to ask, through ``job_queue_counter_register``);
      when fewer wait than jobs are queued there, the oldest queued jobs are the lost
      ones (a queue is first in, first out, so what a broker restart spared, and what
      was sent since, are the newest), older than ``JOB_REPUBLISH_SECONDS`` so that a
      message a worker has just taken but not yet claimed is not counted as lost. Other
      tasks' messages in the same queue can only hide a loss until a later sweep, and a
      job sent twice is run once (the claim). No broker internals are read, and the
      broker's visibility timeout (an hour) does not bound how long a message may wait.
    """
    now = now or timezone.now()
    unqueued = Q(state=JobState.PENDING, next_try_at__lte=now, published_at__isnull=True)
    dead_worker = Q(state=JobState.RUNNING, lease_until__lt=now)
    found = list(
        Job.objects.filter(unqueued | dead_worker)
        .order_by("id")
        .values_list("pk", "kind", "request_id")[:limit]
    )
    found += _jobs_lost_by_the_broker(now=now, limit=limit - len(found))
    if found:
        Job.objects.filter(pk__in=[job_id for job_id, _kind, _id in found]).update(published_at=now)
        _publish(
            [(job_id, kind) for job_id, kind, _id in found],
            robust=True,
            request_ids={job_id: request_id for job_id, _kind, request_id in found},
        )
        logger.info("sweeper re-published %s jobs", len(found))
    return len(found)


def _jobs_lost_by_the_broker(*, now: dt.datetime, limit: int) -> list[tuple[int, str, str | None]]:
    """The oldest queued jobs of each queue beyond the messages that wait in it, as
    ``(id, kind, request id)``."""
    if _queue_counter is None or limit <= 0:
        return []
    queued = Job.objects.filter(
        state=JobState.PENDING, published_at__isnull=False, next_try_at__lte=now
    )
    by_kind = dict(
        queued.order_by()
        .values_list("kind")
        .annotate(count=Count("id"))
        .values_list("kind", "count")
    )
    by_queue: dict[str | None, list[str]] = {}
    for kind in by_kind:
        handler = JOB_HANDLERS.get(kind)
        by_queue.setdefault(handler.queue if handler is not None else None, []).append(kind)
    stale = now - dt.timedelta(seconds=settings.JOB_REPUBLISH_SECONDS)
    lost: list[tuple[int, str, str | None]] = []
    for queue, kinds in sorted(by_queue.items(), key=lambda item: item[0] or ""):
        try:
            waiting = _queue_counter(queue)
        except Exception:
            # The broker is out of reach: nothing could be sent now anyway.
            logger.exception("could not count the messages of queue %s", queue or "default")
            return lost
        missing = sum(by_kind[kind] for kind in kinds) - waiting
        if missing <= 0:
            continue
        lost += list(
            queued.filter(kind__in=kinds, published_at__lt=stale)
            .order_by("published_at", "id")
            .values_list("pk", "kind", "request_id")[: min(missing, limit - len(lost))]
        )
        if len(lost) >= limit:
            break
    return lost


def job_revive(*, job: Job) -> Job:
    """Give a finished or failed job another run from its first attempt (the reconciler's tool)."""
    now = timezone.now()
    with transaction.atomic():
        revived = Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).update(
            state=JobState.PENDING,
            attempts=0,
            next_try_at=now,
            published_at=now,
            claimed_by="",
            updated_at=now,
        )
        if revived:
            transaction.on_commit(
                lambda: _publish(
                    [(job.pk, job.kind)], robust=True, request_ids={job.pk: job.request_id}
                )
            )
    job.refresh_from_db()
    return job
