"""Recording work in the outbox: a job row written in the transaction that makes the
work necessary, published after commit (or kept for the worker whose job recorded it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onewindow.request_context import current_request_id

from ...constants import JobState
from ...inserts import insert_fields, row_insert_returning
from ...models import Job
from ...selectors.rows import statement
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
    if not _insert_unless_key_exists(job):
        # Recorded already (by this transaction, or one committed since): that row
        # stands, and it is published or kept by whoever recorded it.
        return Job.objects.get(key=key)
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


def _insert_sql(connection: Any) -> str:
    quote = connection.ops.quote_name
    meta = Job._meta
    fields = insert_fields(Job)
    return (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(meta.get_field('key').column)}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}"
    )


def _insert_unless_key_exists(job: Job) -> bool:
    """Insert ``job`` unless a job with its key exists; True if this inserted it.

    ``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id`` (PostgreSQL; SQLite 3.35+):
    one statement that never aborts the caller's transaction on a known key. Plain SQL
    because the ORM has no insert that both ignores a conflict and returns the new row's
    id (``bulk_create(ignore_conflicts=True)`` returns none), and its way — ``save()``
    in a savepoint, catching the ``IntegrityError`` — costs every job (about twelve a
    case) two more statements and a compiled INSERT (``bench/lifecycle_profile.py``). It
    runs as ``save()`` would insert (``cases/inserts.py``);
    ``tests/cases/services/test_jobs.py`` checks the row against the one ``save()``
    writes."""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        return row_insert_returning(
            job,
            cursor=cursor,
            connection=connection,
            sql=statement(connection, "outbox:insert", _insert_sql),
        )
