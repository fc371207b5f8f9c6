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


def approvals_stuck_pending(*, before: dt.datetime) -> QuerySet[Approval]:
    """``PENDING`` approvals with no job that will still run them."""
    live_job = Job.objects.filter(
        key=Concat(Value(START_APPROVAL_PREFIX), Cast(OuterRef("pk"), CharField())),
        state__in=[JobState.PENDING, JobState.RUNNING],
    )
    return Approval.objects.filter(state=ApprovalState.PENDING, updated_at__lt=before).exclude(
        Exists(live_job)
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
        job = Job.objects.filter(key=approval_start_key(approval.pk)).first()
        if job is None:
            approval_start_after_commit(approval_id=approval.pk)
        else:
            job_revive(job=job)
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

    live_dispatch = Job.objects.filter(
        key=Concat(Value(DISPATCH_PREFIX), Cast(OuterRef("pk"), CharField())),
        state__in=[JobState.PENDING, JobState.RUNNING],
    )
    for case in Case.objects.filter(state=CaseState.ACCEPTED, accepted_at__lt=before).exclude(
        Exists(live_dispatch)
    ):
        job = Job.objects.filter(key=f"{DISPATCH_PREFIX}{case.pk}").first()
        if job is None:
            case_dispatch_after_commit(case_id=case.pk)
        else:
            job_revive(job=job)
        repaired["dispatched"] += 1

    if any(repaired.values()):
        logger.warning("reconciler repaired %s", repaired)
    return repaired
