"""What must always be true of the back office (docs/architecture.md §4.8), counted in SQL.

Every count is zero on a healthy system; ``manage.py check_invariants`` prints
them and fails when one is not. The reconciler repairs the last three.
"""

from __future__ import annotations

from django.db.models import Count

from .constants import ApprovalState, JobState
from .models import Approval, Job
from .services.reconcile import approvals_missed_unblock, cases_missed_fan_in

INVARIANT_LABELS = {
    "duplicate_certificates": "approvals with more than one first-version certificate",
    "missing_certificates": "approved approvals whose certificate was never created",
    "missed_unblocks": "waiting approvals whose prerequisites are all approved",
    "cases_not_concluded": "cases in review whose approvals are all final",
    "failed_jobs": "outbox jobs that gave up",
}


def invariant_counts() -> dict[str, int]:
    # Certificates are the certificates app's: counted through the approval's reverse
    # relation (``approval.certificate``), so this app needs no import of that one.
    return {
        "duplicate_certificates": Approval.objects.annotate(n=Count("certificate"))
        .filter(n__gt=1)
        .count(),
        "missing_certificates": Approval.objects.filter(
            state=ApprovalState.APPROVED,
            item__produces__isnull=False,
            certificate__isnull=True,
        ).count(),
        "missed_unblocks": approvals_missed_unblock().count(),
        "cases_not_concluded": cases_missed_fan_in().count(),
        "failed_jobs": Job.objects.filter(state=JobState.FAILED).count(),
    }
