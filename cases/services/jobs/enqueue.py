"""Recording work in the outbox: a job row written in the transaction that makes the
work necessary, published after commit (or kept for the worker whose job recorded it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onewindow.request_context import current_request_id

from ...constants import JobState
from ...models import Job
from . import registry
from .run import RunningJob


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
    handler = registry.JOB_HANDLERS.get(kind)
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
        lambda: registry._publish(
            [(job.pk, kind)], robust=True, request_ids={job.pk: job.request_id}
        )
    )
    return job
