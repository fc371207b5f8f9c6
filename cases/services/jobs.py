"""The outbox (DESIGN.md §4.6): work written as rows, executed by Celery, swept when lost.

``job_enqueue`` is called inside the transaction that makes the work necessary,
so the row exists exactly when the change does. After commit the job's id is
published to Celery; the worker claims the row with one conditional UPDATE
(so two deliveries of the same message run it once), calls the job's handler,
and marks it done — or back to pending with a later ``next_try_at``.

Nothing depends on the broker keeping a message: ``jobs_sweep`` (Celery beat,
every half minute) re-publishes pending jobs whose message is older than
``JOB_REPUBLISH_SECONDS`` and running jobs whose lease expired (their worker
died). Handlers are idempotent, so a job run twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from onewindow.precompiled import row_insert, row_update

from ..constants import JobState
from ..models import Job

logger = logging.getLogger(__name__)

# kind → the service that does the work; it is called with the job's payload as
# keyword arguments and must be idempotent.
JOB_HANDLERS: dict[str, str] = {
    "dispatch_case": "cases.services.dispatch.case_dispatch_job",
    "issue_pdf": "certificates.services.rendering.certificate_render_and_sign",
    "start_approval": "cases.services.checks.approval_run_checks",
}

# Kinds that run on their own Celery queue (workers: ``-Q celery,documents``), so
# that slow work (rendering and sealing PDFs) never holds up the approvals.
JOB_QUEUES: dict[str, str] = {"issue_pdf": "documents"}

# Kinds a worker may go on with itself: the first such job that a running job's
# handler records is run next by the same worker, after commit, instead of being
# sent through the broker. Its row is written all the same, already claimed by the
# worker under a lease, so running it costs no claim; if the worker dies first, the
# lease runs out and the sweeper publishes it. Further jobs go through the broker,
# to other workers, in parallel: an approval that unblocks two others continues
# with one and hands the other on.
CONTINUABLE_KINDS = frozenset({"start_approval"})

# Seconds to wait before the n-th retry (the last value repeats).
RETRY_DELAYS = (10, 30, 60, 300, 900, 3600)


def _publish(jobs: list[tuple[int, str]], *, robust: bool = False) -> None:
    """Send ``(id, kind)`` jobs to their queues; ``robust`` logs a failed send instead of raising."""
    from ..tasks import run_job  # the task module imports the services

    for job_id, kind in jobs:
        queue = JOB_QUEUES.get(kind)
        options = {"queue": queue} if queue else {}
        if not robust:
            run_job.apply_async((job_id,), **options)
            continue
        try:
            run_job.apply_async((job_id,), **options)
        except Exception:
            # The row stays pending; the next sweep tries again.
            logger.exception("could not publish job %s", job_id)


def job_enqueue(*, kind: str, key: str, payload: dict[str, Any] | None = None) -> Job:
    """Record work that must happen; it is published when the current transaction commits.

    The same ``key`` twice returns the existing row: the unique constraint, not
    a check, decides. Safe inside or outside a transaction.
    """
    if kind not in JOB_HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    now = timezone.now()
    job = Job(kind=kind, key=key, payload=payload or {}, next_try_at=now, published_at=now)
    kept = _running.follow_ups is not None and kind in CONTINUABLE_KINDS and not _running.continuing
    if kept:
        # This worker runs it next, after commit: the row is written already claimed
        # by that run (its first attempt, under a lease), so running it costs no claim.
        # If the worker dies first, the lease runs out and the sweeper publishes it.
        job.state, job.attempts = JobState.RUNNING, 1
        job.lease_until = now + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    job.pk = _job_insert_unless_key_exists(job)
    if job.pk is None:
        return Job.objects.get(key=key)
    if kept:
        _running.continuing = True
        follow_ups = _running.follow_ups
        transaction.on_commit(lambda: _keep(job, follow_ups))
        return job
    # The change is committed by then: neither a failed publish (broker down) nor,
    # in embedded mode where the task runs in-process, a failing job may turn the
    # request that caused it into an error. The row records the failure and the
    # sweeper (or ``manage.py reconcile``) runs it again.
    transaction.on_commit(lambda: _publish([(job.pk, kind)], robust=True))
    return job


class _Running(threading.local):
    """The job this thread is running: the follow-up it keeps for this worker, written
    already claimed (``None`` outside a job), whether it kept one already, and the run
    of the handler going on now (``None`` outside a job)."""

    follow_ups: list[Job] | None = None
    continuing: bool = False
    run: _Run | None = None


class _Run:
    """One run of a claimed job's handler: whether its "done" was committed with the
    handler's own work (``job_done_in_this_transaction``)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.done_committed = False

    def committed(self) -> None:
        self.done_committed = True


_running = _Running()


def _job_insert_unless_key_exists(job: Job) -> int | None:
    """``INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id`` (PostgreSQL, SQLite 3.35+):
    one statement, and no savepoint, where ``create()`` in a savepoint would need three.
    Returns the new id, or ``None`` when a job with that key already exists."""
    return job.pk if row_insert(job, on_conflict="key") else None


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


_CLAIM_COLUMNS = ("id", "kind", "key", "payload", "attempts")


def _job_claim(*, job_id: int, now: dt.datetime) -> Job | None:
    """Take the job if it is due, or if its worker's lease ran out: one conditional
    ``UPDATE ... RETURNING``, so of two deliveries of one message only one wins."""
    quote = connection.ops.quote_name
    table = quote(Job._meta.db_table)
    lease_until = now + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    sql = (
        f"UPDATE {table} SET state = %s, attempts = attempts + 1, lease_until = %s, updated_at = %s "
        f"WHERE id = %s AND ((state = %s AND next_try_at <= %s) OR (state = %s AND lease_until < %s)) "
        f"RETURNING {', '.join(quote(column) for column in _CLAIM_COLUMNS)}"
    )
    field = Job._meta.get_field
    params = [
        JobState.RUNNING,
        field("lease_until").get_db_prep_value(lease_until, connection),
        field("updated_at").get_db_prep_value(now, connection),
        job_id,
        JobState.PENDING,
        field("next_try_at").get_db_prep_value(now, connection),
        JobState.RUNNING,
        field("lease_until").get_db_prep_value(now, connection),
    ]
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
    row_update(
        job,
        ["state", "done_at", "lease_until", "last_error"],
        where={"state": JobState.RUNNING, "attempts": job.attempts},
    )


def job_run(*, job_id: int) -> Job | None:
    """Claim the job and run its handler, then the follow-up it kept for this worker
    (see ``CONTINUABLE_KINDS``). Returns the job, or ``None`` when someone else holds
    it, it is done, or it is not due yet (a duplicate message changes nothing)."""
    outer = _running.follow_ups, _running.continuing
    _running.follow_ups, _running.continuing = [], False
    try:
        job = _job_run_one(job_id=job_id)
        while _running.follow_ups:
            follow_up = _running.follow_ups.pop(0)
            _running.continuing = False
            _job_run_claimed(job=follow_up)
    except BaseException:
        # Whatever was kept for this worker is released and goes through the broker.
        _job_release(jobs=_running.follow_ups)
        raise
    finally:
        _running.follow_ups, _running.continuing = outer
    return job


def _keep(job: Job, follow_ups: list[Job]) -> None:
    """After commit: the run that kept ``job`` goes on with it — unless that run has
    ended already (its caller's transaction committed later), then it is released."""
    if _running.follow_ups is follow_ups:
        follow_ups.append(job)
    else:
        _job_release(jobs=[job])


def _job_release(*, jobs: list[Job]) -> None:
    """Kept follow-ups this worker will not run: back to pending, then published."""
    if not jobs:
        return
    Job.objects.filter(pk__in=[job.pk for job in jobs], state=JobState.RUNNING).update(
        state=JobState.PENDING, attempts=0, lease_until=None, updated_at=timezone.now()
    )
    _publish([(job.pk, job.kind) for job in jobs], robust=True)


def _job_run_one(*, job_id: int) -> Job | None:
    job = _job_claim(job_id=job_id, now=timezone.now())
    if job is None:
        return None
    return _job_run_claimed(job=job)


def job_done_in_this_transaction() -> None:
    """Mark the job being run done inside the current transaction, so the handler's work
    and its "done" commit together (one durable commit less per job, and no moment when
    the work is in but the job still looks unfinished). A handler calls it in the
    transaction that completes its work; outside a job (a direct call, a test) it does
    nothing. If that transaction rolls back, the run marks the job done (or failed) as
    it otherwise would."""
    run = _running.run
    if run is None:
        return
    _job_done(job=run.job, finished=timezone.now())
    transaction.on_commit(run.committed)


def _job_run_claimed(*, job: Job) -> Job:
    outer, run = _running.run, _Run(job)
    _running.run = run
    try:
        import_string(JOB_HANDLERS[job.kind])(**job.payload)
    except Exception as error:
        finished = timezone.now()
        gave_up = job.attempts >= settings.JOB_MAX_ATTEMPTS
        Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
            state=JobState.FAILED if gave_up else JobState.PENDING,
            next_try_at=finished + _retry_delay(job.attempts),
            lease_until=None,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            updated_at=finished,
        )
        logger.exception("job %s failed (attempt %s)", job.key, job.attempts)
        raise
    finally:
        _running.run = outer
    if not run.done_committed:
        _job_done(job=job, finished=timezone.now())
    return job


def jobs_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Re-publish jobs whose message may be lost. Returns how many were published."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.JOB_REPUBLISH_SECONDS)
    lost_message = Q(state=JobState.PENDING, next_try_at__lte=now) & (
        Q(published_at__isnull=True) | Q(published_at__lt=stale)
    )
    dead_worker = Q(state=JobState.RUNNING, lease_until__lt=now)
    jobs = list(
        Job.objects.filter(lost_message | dead_worker)
        .order_by("id")
        .values_list("pk", "kind")[:limit]
    )
    if jobs:
        Job.objects.filter(pk__in=[job_id for job_id, _ in jobs]).update(published_at=now)
        _publish(jobs, robust=True)
        logger.info("sweeper re-published %s jobs", len(jobs))
    return len(jobs)


def job_revive(*, job: Job) -> Job:
    """Give a finished or failed job another run from its first attempt (the reconciler's tool)."""
    now = timezone.now()
    with transaction.atomic():
        revived = Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).update(
            state=JobState.PENDING, attempts=0, next_try_at=now, published_at=now, updated_at=now
        )
        if revived:
            transaction.on_commit(lambda: _publish([(job.pk, job.kind)], robust=True))
    job.refresh_from_db()
    return job
