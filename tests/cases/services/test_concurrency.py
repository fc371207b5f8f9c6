"""Two people act on the same case at once: exactly one wins, the other is told clearly."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django_fsm import ConcurrentTransition

from cases.constants import ApprovalState, CaseState
from cases.exceptions import ConcurrentTransitionError
from cases.models import Approval, Case, CaseEvent
from cases.services.intake import case_accept, case_request_materials
from cases.services.review import approval_approve, approval_reject
from tests.concurrency import race
from tests.factories import ApprovalFactory, CaseFactory, ServiceItemFactory


@pytest.mark.django_db
def test_acting_on_a_stale_view_is_refused_with_a_clear_error(clerk):
    seen_by_first = Case.objects.get(pk=CaseFactory(state=CaseState.SUBMITTED).pk)
    seen_by_second = Case.objects.get(pk=seen_by_first.pk)
    case_accept(case=seen_by_first, actor=clerk)
    with pytest.raises(ConcurrentTransitionError) as error:
        case_request_materials(case=seen_by_second, actor=clerk, missing=["租赁合同"])
    assert "已被他人处理" in str(error.value)
    assert "「已提交」变为「审批中」" in str(error.value)  # accepted and dispatched at once
    assert Case.objects.get(pk=seen_by_first.pk).state == CaseState.IN_REVIEW
    assert list(
        CaseEvent.objects.filter(case_id=seen_by_first.pk).values_list("name", flat=True)
    ) == ["accept", "dispatch"]


@pytest.mark.django_db
def test_the_model_refuses_to_save_over_a_state_changed_underneath():
    """Below the service's row lock, the conditional UPDATE of ConcurrentTransitionMixin still holds."""
    case = CaseFactory(state=CaseState.SUBMITTED)
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    first.request_materials()
    first.save()
    second.refuse(reason="重复申请")
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert Case.objects.get(pk=case.pk).state == CaseState.PENDING_MATERIALS


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_clerks_accepting_at_once_exactly_one_wins(clerk, attempt):
    case = CaseFactory(state=CaseState.SUBMITTED)
    views = [Case.objects.get(pk=case.pk) for _ in range(2)]
    outcomes = race(
        [
            lambda: case_accept(case=views[0], actor=clerk),
            lambda: case_request_materials(case=views[1], actor=clerk, missing=["营业执照"]),
        ]
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, Case)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], ConcurrentTransitionError), outcomes
    decisions = CaseEvent.objects.filter(case=case, name__in=["accept", "request_materials"])
    [decision] = decisions
    # An accepted case goes on to the departments in the same transaction.
    after = {"accept": CaseState.IN_REVIEW, "request_materials": CaseState.PENDING_MATERIALS}
    assert winners[0].state == after[decision.name]


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_one_approval_at_once_exactly_one_decision_stands(
    department, reviewer
):
    approval = ApprovalFactory(
        item=ServiceItemFactory(department=department), state=ApprovalState.IN_REVIEW
    )
    views = [Approval.objects.get(pk=approval.pk) for _ in range(2)]
    outcomes = race(
        [
            lambda: approval_approve(approval=views[0], actor=reviewer, note="同意"),
            lambda: approval_reject(approval=views[1], actor=reviewer, note="不同意"),
        ]
    )
    assert sum(isinstance(outcome, Approval) for outcome in outcomes) == 1, outcomes
    assert sum(isinstance(outcome, ConcurrentTransitionError) for outcome in outcomes) == 1, (
        outcomes
    )
    decisions = CaseEvent.objects.filter(approval=approval, name__in=["approve", "reject"])
    assert decisions.count() == 1
    assert Approval.objects.get(pk=approval.pk).state == decisions.get().to_state
    # The single approval was the case's last one: the case concluded exactly once.
    assert CaseEvent.objects.filter(case=approval.case, name="conclude").count() == 1


def test_sqlite_runs_transactions_immediate():
    """The embedded mode's serialisation rests on this setting (SQLite ignores FOR UPDATE)."""
    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_prerequisites_granted_at_once_start_the_approval_waiting_for_both_once(
    department, reviewer, attempt
):
    """D needs the certificates of A and B. A and B are granted at the same moment by two
    reviewers: whichever transaction comes second sees the first and starts D."""
    from cases.services.dispatch import case_dispatch
    from tests.factories import (
        CertificateTypeFactory,
        MaterialRequirementFactory,
        MaterialTypeFactory,
    )

    produced = [
        CertificateTypeFactory(code=f"PRE_{name}_{attempt}", issuing_department=department)
        for name in "AB"
    ]
    first, second = (ServiceItemFactory(department=department, produces=c) for c in produced)
    waiting = ServiceItemFactory(department=department)
    for certificate_type in produced:
        MaterialRequirementFactory(
            item=waiting, material_type=MaterialTypeFactory(satisfied_by=certificate_type)
        )
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=[first, second, waiting]))
    approvals = {a.item_id: a for a in Approval.objects.filter(case=case)}
    assert approvals[waiting.pk].state == ApprovalState.WAITING
    for item in (first, second):  # their checks ran after the dispatch committed
        assert Approval.objects.get(pk=approvals[item.pk].pk).state == ApprovalState.IN_REVIEW
    outcomes = race(
        [
            lambda: approval_approve(approval=approvals[first.pk], actor=reviewer, note="同意"),
            lambda: approval_approve(approval=approvals[second.pk], actor=reviewer, note="同意"),
        ]
    )
    assert all(isinstance(outcome, Approval) for outcome in outcomes), outcomes
    started = Approval.objects.get(pk=approvals[waiting.pk].pk)
    assert started.state != ApprovalState.WAITING
    assert CaseEvent.objects.filter(approval=started, name="unblock").count() == 1
