"""The reconciler: finds work a crash left behind and sets it going again.

The outbox sweeper recovers lost messages; this recovers lost *state*: an
approval ``PENDING`` with no live job, an approval still ``WAITING`` although
everything it waited for is approved, a case still ``IN_REVIEW`` although every
approval is final, a case ``ACCEPTED`` but never dispatched. Each repair goes
through the same service as the normal path, so running the reconciler any
number of times, beside live workers, changes nothing that is already right.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from ..constants import APPROVAL_OPEN_STATES, ApprovalState, CaseState, JobState
from ..exceptions import CaseError
from ..models import Approval, Case, Job
from .dispatch import DISPATCH_PREFIX, case_dispatch_after_commit
from .jobs import job_revive
from .queue import START_APPROVAL_PREFIX, approval_start_after_commit, approval_start_key
from .review import approval_unblock, case_conclude_if_complete

logger = logging.getLogger(__name__)


def _live_job(prefix: str) -> Exists:
    """A pending or running job whose key is ``prefix`` + the outer row's id."""
    return Exists(
        Job.objects.filter(
            key=Concat(Value(prefix), Cast(OuterRef("pk"), CharField())),
            state__in=[JobState.PENDING, JobState.RUNNING],
        )
    )


def _restart(*, key: str, enqueue: Callable[[], None]) -> None:
    """Run the work again: a new job when there is none, else its finished one revived."""
    job = Job.objects.filter(key=key).first()
    if job is None:
        enqueue()
    else:
        job_revive(job=job)


def approvals_stuck_pending(*, before: dt.datetime) -> QuerySet[Approval]:
    """``PENDING`` approvals with no job that will still run them."""
    return Approval.objects.filter(state=ApprovalState.PENDING, updated_at__lt=before).exclude(
        _live_job(START_APPROVAL_PREFIX)
    )


def cases_never_dispatched(*, before: dt.datetime) -> QuerySet[Case]:
    """``ACCEPTED`` cases with no dispatch job that will still run."""
    return Case.objects.filter(state=CaseState.ACCEPTED, accepted_at__lt=before).exclude(
        _live_job(DISPATCH_PREFIX)
    )


def approvals_missed_unblock() -> QuerySet[Approval]:
    """``WAITING`` approvals whose every prerequisite is approved."""
    unapproved_prerequisite = Approval.waits_for.through.objects.filter(
        from_approval=OuterRef("pk")
    ).exclude(to_approval__state=ApprovalState.APPROVED)
    return Approval.objects.filter(state=ApprovalState.WAITING).exclude(
        Exists(unapproved_prerequisite)
    )


def cases_missed_fan_in() -> QuerySet[Case]:
    """Cases in review with at least one approval and none still open."""
    open_approval = Approval.objects.filter(case=OuterRef("pk"), state__in=APPROVAL_OPEN_STATES)
    any_approval = Approval.objects.filter(case=OuterRef("pk"))
    return Case.objects.filter(state=CaseState.IN_REVIEW).filter(
        Exists(any_approval), ~Exists(open_approval)
    )


def cases_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of repairs; returns how many of each were made."""
    now = now or timezone.now()
    before = now - dt.timedelta(seconds=settings.RECONCILE_GRACE_SECONDS)
    repaired = {"restarted": 0, "unblocked": 0, "concluded": 0, "dispatched": 0}

    for approval in approvals_stuck_pending(before=before):
        _restart(
            key=approval_start_key(approval.pk),
            enqueue=lambda pk=approval.pk: approval_start_after_commit(approval_id=pk),
        )
        repaired["restarted"] += 1

    for approval in approvals_missed_unblock().select_related("item"):
        try:
            approval_unblock(approval=approval)
        except CaseError:
            continue  # a live worker unblocked it meanwhile
        repaired["unblocked"] += 1

    for case in cases_missed_fan_in():
        if case_conclude_if_complete(case=case).state != CaseState.IN_REVIEW:
            repaired["concluded"] += 1

    for case in cases_never_dispatched(before=before):
        _restart(
            key=f"{DISPATCH_PREFIX}{case.pk}",
            enqueue=lambda pk=case.pk: case_dispatch_after_commit(case_id=pk),
        )
        repaired["dispatched"] += 1

    if any(repaired.values()):
        logger.warning("reconciler repaired %s", repaired)
    return repaired
