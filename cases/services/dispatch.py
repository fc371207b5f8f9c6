"""Fan-out: an accepted case becomes one approval per item, all started at once
except those waiting for a certificate another item of the same case produces."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from departments.models import ServiceItem

from ..constants import ApprovalState, CaseState
from ..models import Approval, Case

# ``case_items`` is imported from here by intake too (acceptance passes the items on).
from ..selectors.engine import case_items, case_requirements, row_for_update
from ..workdays import working_calendar
from .jobs import RunningJob, job_enqueue
from .queue import approval_start_after_commit
from .transitions import joined_atomic, run_transition


def case_dispatch(
    *,
    case: Case,
    actor: Any = None,
    actor_label: str = "system",
    already_locked: bool = False,
    items: list[ServiceItem] | None = None,
    running_job: RunningJob | None = None,
) -> Case:
    """``ACCEPTED → IN_REVIEW``: the departments see their approvals.

    Item B waits for item A when B requires a material that a certificate
    satisfies and A produces that certificate type in this case. Every approval
    that need not wait starts at once, each as its own task, after commit.
    ``items``: the case's items as ``case_items`` reads them, when the caller has
    them already (acceptance, in the same transaction). ``running_job``: the outbox
    job that dispatches it (the reconciler's), whose worker may go on with an approval.
    """
    with joined_atomic():
        case = run_transition(
            case, "dispatch", actor=actor, actor_label=actor_label, already_locked=already_locked
        )
        if items is None:
            items = case_items(case_id=case.pk)
        producer_of = {item.produces_id: item for item in items if item.produces_id is not None}
        waits_on: dict[int, set[int]] = {}
        for requirement in case_requirements(case_id=case.pk):
            producer = producer_of.get(requirement.material_type.satisfied_by_id)
            if producer is not None and producer.pk != requirement.item_id:
                waits_on.setdefault(requirement.item_id, set()).add(producer.pk)
        today = timezone.localdate()
        now = timezone.now()
        calendar = working_calendar()  # one snapshot for every item of the case
        approvals = {
            approval.item_id: approval
            for approval in Approval.objects.bulk_create(
                [
                    Approval(
                        case=case,
                        item=item,
                        department=item.department,
                        state=ApprovalState.WAITING
                        if item.pk in waits_on
                        else ApprovalState.PENDING,
                        # A waiting approval's time starts when it is unblocked.
                        due_date=None
                        if item.pk in waits_on
                        else calendar.add_working_days(today, item.promised_working_days),
                        started_at=None if item.pk in waits_on else now,
                    )
                    for item in items
                ]
            )
        }
        Approval.waits_for.through.objects.bulk_create(
            [
                Approval.waits_for.through(
                    from_approval=approvals[item_pk], to_approval=approvals[producer_pk]
                )
                for item_pk, producer_pks in waits_on.items()
                for producer_pk in sorted(producer_pks)
            ]
        )
        for approval in approvals.values():
            if approval.state == ApprovalState.PENDING:
                approval_start_after_commit(approval_id=approval.pk, running_job=running_job)
    return case


DISPATCH_PREFIX = "dispatch_case:"


def case_dispatch_after_commit(*, case_id: int) -> None:
    """Dispatch the case once the current transaction commits, exactly once."""
    job_enqueue(
        kind="dispatch_case", key=f"{DISPATCH_PREFIX}{case_id}", payload={"case_id": case_id}
    )


def case_dispatch_job(*, case_id: int, running_job: RunningJob | None = None) -> None:
    """The outbox handler: dispatch an ``ACCEPTED`` case; any other state means it is done."""
    with transaction.atomic():
        case = row_for_update(model=Case, pk=case_id)
        if case.state == CaseState.ACCEPTED:  # any other state: dispatched already, or ended
            case_dispatch(case=case, already_locked=True, running_job=running_job)
