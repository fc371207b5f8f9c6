"""The outbox's safety net: the sweeper republishes jobs whose message is gone (a failed
send, a dead worker, a broker that lost its queue), and the reconciler revives a
finished or failed job."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ...constants import JobState
from ...models import Job
from . import registry

# The package's name, as before it was split: log lines keep naming cases.services.jobs.
logger = logging.getLogger(__package__)


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
        registry._publish(
            [(job_id, kind) for job_id, kind, _id in found],
            robust=True,
            request_ids={job_id: request_id for job_id, _kind, request_id in found},
        )
        logger.info("sweeper re-published %s jobs", len(found))
    return len(found)


def _jobs_lost_by_the_broker(*, now: dt.datetime, limit: int) -> list[tuple[int, str, str | None]]:
    """The oldest queued jobs of each queue beyond the messages that wait in it, as
    ``(id, kind, request id)``."""
    queue_counter = registry._queue_counter
    if queue_counter is None or limit <= 0:
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
        handler = registry.JOB_HANDLERS.get(kind)
        by_queue.setdefault(handler.queue if handler is not None else None, []).append(kind)
    stale = now - dt.timedelta(seconds=settings.JOB_REPUBLISH_SECONDS)
    lost: list[tuple[int, str, str | None]] = []
    for queue, kinds in sorted(by_queue.items(), key=lambda item: item[0] or ""):
        try:
            waiting = queue_counter(queue)
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
                lambda: registry._publish(
                    [(job.pk, job.kind)], robust=True, request_ids={job.pk: job.request_id}
                )
            )
    job.refresh_from_db()
    return job
