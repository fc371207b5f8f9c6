"""Reads of the operations app: the domain figures ``/metrics`` exports, the heartbeats.

Each figure is one grouped query, whatever the number of rows (three in all), and each
filters on indexed state columns to the open rows only (the closed cases and done jobs
that make up most of the tables are never counted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from cases.constants import CASE_FINAL_STATES, CaseState, JobState
from cases.models import Approval, Case, Job
from cases.services.sla import CLOCK_RUNNING_STATES

from .models import WorkerHeartbeat

OPEN_CASE_STATES = [state for state in CaseState.values if state not in CASE_FINAL_STATES]
OPEN_JOB_STATES = [JobState.PENDING, JobState.RUNNING]


@dataclass(frozen=True)
class DomainFigures:
    open_cases: dict[str, int]  # state -> cases; every open state, zeros included
    overdue_approvals: int  # clock running (pending, in review) and past the due date
    open_jobs: dict[tuple[str, str], int]  # (kind, state) -> outbox rows not done yet


def domain_figures(*, today: dt.date | None = None) -> DomainFigures:
    today = today or timezone.localdate()
    counted = dict(
        Case.objects.filter(state__in=OPEN_CASE_STATES)
        .order_by()
        .values_list("state")
        .annotate(count=Count("pk"))
    )
    overdue = Approval.objects.filter(state__in=CLOCK_RUNNING_STATES, due_date__lt=today).count()
    jobs = {
        (kind, state): count
        for kind, state, count in Job.objects.filter(state__in=OPEN_JOB_STATES)
        .order_by()
        .values_list("kind", "state")
        .annotate(count=Count("pk"))
    }
    return DomainFigures(
        open_cases={state: counted.get(state, 0) for state in OPEN_CASE_STATES},
        overdue_approvals=overdue,
        open_jobs=jobs,
    )


async def worker_heartbeats(*, queues: list[str] | tuple[str, ...]) -> dict[str, dt.datetime]:
    """queue -> when a worker last ran its heartbeat (queues never heard of are absent)."""
    return {
        queue: seen_at
        async for queue, seen_at in WorkerHeartbeat.objects.filter(queue__in=queues).values_list(
            "queue", "seen_at"
        )
    }
