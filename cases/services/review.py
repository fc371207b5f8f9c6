"""Back office: the departments' decisions on approvals, and the case's fan-in.

Fan-in happens here, in the database: every decision locks its case row in the
same transaction and concludes the case when the last approval is final.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..constants import APPROVAL_OPEN_STATES, ApprovalState, CaseState, EventKind
from ..exceptions import CaseError
from ..models import Approval, Case
from ..selectors.engine import approval_dependents_for_update, case_approval_states, row_for_update
from ..workdays import add_working_days, working_calendar
from .guards import ConclusionContext, conclusion_blocked_by
from .jobs import RunningJob
from .queue import approval_start_after_commit
from .transitions import joined_atomic, row_locked, run_transition


class DecisionReasonRequiredError(CaseError):
    pass


GrantHandler = Callable[..., object]

# What the apps above this one do in the transaction that grants an approval, called
# as ``handler(approval=approval)`` in the order registered (``AppConfig.ready``).
# The certificates app registers the certificate's issuance here.
GRANT_HANDLERS: list[GrantHandler] = []


def approval_granted_handler_register(handler: GrantHandler) -> GrantHandler:
    """Run ``handler(approval=...)`` inside every grant, before the approvals waiting for
    it start: what it writes commits or rolls back with the decision (an approval's
    certificate, say, is issued once, with the grant). Registering twice is once."""
    if handler not in GRANT_HANDLERS:
        GRANT_HANDLERS.append(handler)
    return handler


def case_conclude_if_complete(*, case: Case, already_locked: bool = False) -> Case:
    """Conclude the case when every approval is final: ``APPROVED`` if none was
    rejected, else ``DENIED``. Safe to call any number of times. ``already_locked``:
    the caller read ``case`` with ``select_for_update()`` in this transaction."""
    with joined_atomic():
        locked = row_locked(case, already_locked=already_locked)
        if locked.state != CaseState.IN_REVIEW:
            return locked
        rows = case_approval_states(case_id=locked.pk)
        states = [state for state, _fee in rows]
        if not states or any(state in APPROVAL_OPEN_STATES for state in states):
            return locked
        approved = ApprovalState.REJECTED not in states and ApprovalState.APPROVED in states
        context = ConclusionContext(is_approved=approved, fee_total=sum(fee for _s, fee in rows))
        if conclusion_blocked_by(locked, context):
            return locked
        return run_transition(
            locked,
            "conclude",
            actor=None,
            actor_label="system",
            approved=approved,
            already_locked=True,
        )


def approval_unblock(
    *, approval: Approval, already_locked: bool = False, running_job: RunningJob | None = None
) -> Approval:
    """``WAITING → PENDING``: what it waited for exists; its promised days count from today.
    ``running_job``: the outbox job whose work unblocked it (see ``approval_start_after_commit``)."""
    approval = run_transition(
        approval,
        "unblock",
        actor=None,
        actor_label="system",
        already_locked=already_locked,
        due_date=add_working_days(timezone.localdate(), approval.item.promised_working_days),
    )
    approval_start_after_commit(approval_id=approval.pk, running_job=running_job)
    return approval


def approval_after_approved(*, approval: Approval, running_job: RunningJob | None = None) -> None:
    """What a grant sets going, in the granting transaction: the registered grant
    handlers run (the certificate enters the library), approvals that waited only for
    it start, and the case concludes if this was its last open approval. ``running_job``: the outbox job that granted it.

    The case row is locked first: two grants in one case take turns here, so the
    second sees the first (an approval waiting for both is started by the second,
    and the case concluded once)."""
    case = row_for_update(model=Case, pk=approval.case_id)
    for handler in GRANT_HANDLERS:
        handler(approval=approval)
    unblocked = [
        approval_unblock(approval=dependent, already_locked=True, running_job=running_job)
        for dependent in approval_dependents_for_update(approval_id=approval.pk)
        if not dependent.not_yet
    ]
    if not unblocked:  # an approval it just started is open: the case cannot conclude yet
        case_conclude_if_complete(case=case, already_locked=True)


def _void_blocked_dependents(*, approval: Approval) -> None:
    """Approvals waiting for a certificate that will now never exist end too (and theirs),
    each once: in a chain one may wait for several that end (E004 for E002 and E003)."""
    ended = [approval]
    while ended:
        prerequisite = ended.pop(0)
        # Read when its turn comes, so one already ended through another path is not here.
        for dependent in prerequisite.unblocks.filter(state=ApprovalState.WAITING):
            ended.append(
                run_transition(
                    dependent,
                    "void",
                    actor=None,
                    actor_label="system",
                    note=_("前置事项「%(item)s」未获准予。") % {"item": prerequisite.item.name},
                    decision_note=_("前置事项未获准予"),
                )
            )


def approval_approve(*, approval: Approval, actor: Any, note: str = "") -> Approval:
    """The department grants the item; its certificate is issued into the library at once."""
    with transaction.atomic():
        approval = run_transition(
            approval,
            "approve",
            actor=actor,
            note=note,
            event_kind=EventKind.DECISION,
            by=actor,
            decision_note=note,
        )
        approval_after_approved(approval=approval)
    return approval


def approval_reject(*, approval: Approval, actor: Any, note: str) -> Approval:
    """The department refuses the item, with its reasons (they reach the applicant)."""
    if not note.strip():
        raise DecisionReasonRequiredError(_("不予准予必须写明理由。"))
    with transaction.atomic():
        approval = run_transition(
            approval,
            "reject",
            actor=actor,
            note=note,
            event_kind=EventKind.DECISION,
            by=actor,
            decision_note=note,
        )
        if approval.case.bundle_id and approval.case.bundle.is_all_or_nothing:
            approvals_void_open(
                case=approval.case,
                note=_("同一件事中的「%(item)s」不予准予。") % {"item": approval.item.name},
            )
        else:
            _void_blocked_dependents(approval=approval)
        case_conclude_if_complete(case=approval.case)
    return approval


def approval_request_supplement(
    *, approval: Approval, actor: Any, materials: list[str], note: str = ""
) -> Approval:
    """The department needs more: the applicant gets one list and the case clock stops."""
    if not materials:
        raise CaseError(_("要求补正时请列出需要补正的材料。"))
    with transaction.atomic():
        approval = run_transition(
            approval,
            "request_supplement",
            actor=actor,
            note=note,
            event_kind=EventKind.DECISION,
            event_data={"materials": materials},
            materials=materials,
            decision_note=note,
        )
        case = Case.objects.select_for_update().get(pk=approval.case_id)
        if case.state == CaseState.IN_REVIEW:
            run_transition(
                case,
                "suspend",
                actor=None,
                actor_label="system",
                event_data={"approval": approval.pk},
            )
    return approval


def approval_receive_supplement(
    *, approval: Approval, actor: Any = None, actor_label: str = ""
) -> Approval:
    """The supplement arrived: review resumes and the due date moves by the working days it waited."""
    with transaction.atomic():
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        new_due_date = None
        if locked.due_date and locked.suspended_at:
            calendar = working_calendar()
            paused = calendar.working_days_between(
                timezone.localtime(locked.suspended_at).date(), timezone.localdate()
            )
            new_due_date = (
                calendar.add_working_days(locked.due_date, paused) if paused else locked.due_date
            )
        approval = run_transition(
            locked,
            "receive_supplement",
            actor=actor,
            actor_label=actor_label,
            new_due_date=new_due_date,
        )
        case = Case.objects.select_for_update().get(pk=approval.case_id)
        still_waiting = Approval.objects.filter(
            case=case, state=ApprovalState.SUPPLEMENT_REQUESTED
        ).exists()
        if case.state == CaseState.SUSPENDED and not still_waiting:
            run_transition(case, "resume", actor=None, actor_label="system")
    return approval


def approvals_void_open(*, case: Case, note: str) -> int:
    """End every approval of the case that is not decided yet. Returns how many."""
    count = 0
    with transaction.atomic():
        for approval in Approval.objects.select_for_update().filter(
            case=case, state__in=APPROVAL_OPEN_STATES
        ):
            run_transition(
                approval, "void", actor=None, actor_label="system", note=note, decision_note=note
            )
            count += 1
    return count
