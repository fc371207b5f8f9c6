"""A worker's side of the outbox: claim a job with one conditional UPDATE, run its
handler (then the follow-ups it kept for this worker), mark it done, or put it back
for a later try; and release the kept follow-ups a worker will not run."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ...constants import JobState
from ...models import Job
from . import registry

# The package's name, as before it was split: log lines keep naming cases.services.jobs.
logger = logging.getLogger(__package__)

# Seconds to wait before the n-th retry (the last value repeats).
RETRY_DELAYS = (10, 30, 60, 300, 900, 3600)


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
    registry._publish(
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
    handler = registry.JOB_HANDLERS[job.kind]
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
