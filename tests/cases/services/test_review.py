"""Fan-out at dispatch, the departments' decisions, and fan-in to the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import ApprovalState, CaseState
from cases.exceptions import CaseError
from cases.models import Approval, CaseEvent
from cases.services.dispatch import case_dispatch
from cases.services.intake import case_withdraw
from cases.services.review import (
    approval_approve,
    approval_receive_supplement,
    approval_reject,
    approval_request_supplement,
    case_conclude_if_complete,
)
from cases.services.transitions import run_transition
from departments.constants import Role
from tests.factories import (
    BundleFactory,
    CaseFactory,
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    ServiceItemFactory,
    StaffFactory,
)


def _restaurant_like_items():
    """name approval → licence → two permits that need the licence."""
    market, health = DepartmentFactory(code="A"), DepartmentFactory(code="C")
    name_approval = CertificateTypeFactory(code="NAME_APPROVAL", issuing_department=market)
    licence = CertificateTypeFactory(code="BUSINESS_LICENCE", issuing_department=market)
    name_item = ServiceItemFactory(code="A001", department=market, produces=name_approval)
    licence_item = ServiceItemFactory(code="A002", department=market, produces=licence)
    MaterialRequirementFactory(
        item=licence_item,
        material_type=MaterialTypeFactory(code="NAME_NOTICE", satisfied_by=name_approval),
    )
    licence_material = MaterialTypeFactory(code="LICENCE_COPY", satisfied_by=licence)
    hygiene = ServiceItemFactory(code="C001", department=health)
    catering = ServiceItemFactory(code="A003", department=market)
    for item in (hygiene, catering):
        MaterialRequirementFactory(item=item, material_type=licence_material)
    return [name_item, licence_item, hygiene, catering]


@pytest.mark.django_db
def test_dispatch_starts_what_need_not_wait_and_builds_the_dependency_graph():
    name_item, licence_item, hygiene, catering = _restaurant_like_items()
    case = CaseFactory(state=CaseState.ACCEPTED, items=[name_item, licence_item, hygiene, catering])
    case = case_dispatch(case=case)
    assert case.state == CaseState.IN_REVIEW
    approvals = {approval.item.code: approval for approval in Approval.objects.filter(case=case)}
    assert approvals["A001"].state == ApprovalState.PENDING
    assert {
        code for code, approval in approvals.items() if approval.state == ApprovalState.WAITING
    } == {
        "A002",
        "C001",
        "A003",
    }
    assert list(approvals["A002"].waits_for.all()) == [approvals["A001"]]
    assert list(approvals["C001"].waits_for.all()) == [approvals["A002"]]
    assert approvals["C001"].department.code == "C"
    assert approvals["A001"].due_date > timezone.localdate()
    # A waiting approval's promised days start when what it waits for exists.
    assert all(
        approval.due_date is None
        for approval in approvals.values()
        if approval.state == ApprovalState.WAITING
    )


@pytest.mark.django_db
def test_all_approved_concludes_the_case_approved_once(department):
    reviewer = StaffFactory(role=Role.REVIEWER, department=department)
    items = [ServiceItemFactory(department=department) for _ in range(3)]
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=items))
    approvals = list(Approval.objects.filter(case=case))
    for approval in approvals:
        run_transition(approval, "start_review", checks=[])
    for index, approval in enumerate(approvals):
        approval_approve(approval=approval, actor=reviewer, note="同意")
        expected = CaseState.APPROVED if index == len(approvals) - 1 else CaseState.IN_REVIEW
        case.refresh_from_db()
        assert case.state == expected
    case_conclude_if_complete(case=case)  # running the fan-in again changes nothing
    assert CaseEvent.objects.filter(case=case, name="conclude").count() == 1


@pytest.mark.django_db
def test_one_rejection_denies_the_case_and_independent_items_still_decide(department, reviewer):
    items = [ServiceItemFactory(department=department) for _ in range(2)]
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=items))
    first, second = Approval.objects.filter(case=case)
    for approval in (first, second):
        run_transition(approval, "start_review", checks=[])
    approval_reject(approval=first, actor=reviewer, note="经营场所不符合要求")
    assert Approval.objects.get(pk=second.pk).state == ApprovalState.IN_REVIEW
    approval_approve(approval=second, actor=reviewer)
    case.refresh_from_db()
    assert case.state == CaseState.DENIED


@pytest.mark.django_db
def test_all_or_nothing_bundle_voids_siblings_on_rejection(department, reviewer):
    items = [ServiceItemFactory(department=department) for _ in range(3)]
    bundle = BundleFactory(is_all_or_nothing=True, with_items=items)
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=items, bundle=bundle))
    approvals = list(Approval.objects.filter(case=case))
    run_transition(approvals[0], "start_review", checks=[])
    approval_reject(approval=approvals[0], actor=reviewer, note="不符合条件")
    states = sorted(Approval.objects.filter(case=case).values_list("state", flat=True))
    assert states == sorted([ApprovalState.REJECTED, ApprovalState.VOIDED, ApprovalState.VOIDED])
    case.refresh_from_db()
    assert case.state == CaseState.DENIED


@pytest.mark.django_db
def test_rejection_needs_a_reason(department, reviewer):
    case = case_dispatch(
        case=CaseFactory(
            state=CaseState.ACCEPTED, items=[ServiceItemFactory(department=department)]
        )
    )
    approval = run_transition(Approval.objects.get(case=case), "start_review", checks=[])
    with pytest.raises(CaseError):
        approval_reject(approval=approval, actor=reviewer, note="  ")
    assert Approval.objects.get(pk=approval.pk).state == ApprovalState.IN_REVIEW


@pytest.mark.django_db
def test_supplement_suspends_the_case_and_its_arrival_resumes_it_with_the_clock_extended(
    department, reviewer, clerk
):
    items = [ServiceItemFactory(department=department) for _ in range(2)]
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=items))
    first, second = Approval.objects.filter(case=case)
    for approval in (first, second):
        run_transition(approval, "start_review", checks=[])
    approval_request_supplement(
        approval=first, actor=reviewer, materials=["FLOOR_PLAN", "LEASE"], note="请补正"
    )
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED
    first.refresh_from_db()
    assert first.supplement_materials == ["FLOOR_PLAN", "LEASE"]
    # Pretend the request waited ten calendar days: the due date moves by the working days lost.
    original_due = first.due_date
    Approval.objects.filter(pk=first.pk).update(suspended_at=timezone.now() - dt.timedelta(days=10))
    approval_receive_supplement(approval=first, actor=clerk)
    first.refresh_from_db()
    case.refresh_from_db()
    assert first.state == ApprovalState.IN_REVIEW
    assert case.state == CaseState.IN_REVIEW
    assert first.due_date > original_due
    assert [event.name for event in CaseEvent.objects.filter(case=case, approval__isnull=True)][
        -2:
    ] == [
        "suspend",
        "resume",
    ]


@pytest.mark.django_db
def test_supplement_request_lists_materials(department, reviewer):
    case = case_dispatch(
        case=CaseFactory(
            state=CaseState.ACCEPTED, items=[ServiceItemFactory(department=department)]
        )
    )
    approval = run_transition(Approval.objects.get(case=case), "start_review", checks=[])
    with pytest.raises(CaseError):
        approval_request_supplement(approval=approval, actor=reviewer, materials=[])


@pytest.mark.django_db
def test_withdraw_voids_every_open_approval(department, clerk):
    items = [ServiceItemFactory(department=department) for _ in range(2)]
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=items))
    case_withdraw(case=case, actor=clerk, reason="申请人不再需要")
    assert set(Approval.objects.filter(case=case).values_list("state", flat=True)) == {
        ApprovalState.VOIDED
    }
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN


@pytest.mark.django_db(transaction=True)
def test_a_second_certificate_for_one_approval_is_refused_by_the_database(department):
    from django.db import IntegrityError, transaction

    from cases.models import Job
    from certificates.models import Certificate
    from certificates.services.issuance import certificate_create_for_approval

    licence = CertificateTypeFactory(code="LICENCE_X", issuing_department=department)
    item = ServiceItemFactory(department=department, produces=licence)
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=[item]))
    approval = Approval.objects.get(case=case)  # its checks ran when the dispatch committed
    assert approval.state == ApprovalState.IN_REVIEW
    approval_approve(approval=approval, actor=None, note="同意")
    assert Certificate.objects.filter(approval=approval).count() == 1
    jobs = Job.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        certificate_create_for_approval(approval=Approval.objects.get(pk=approval.pk))
    # Nothing of the refused attempt is left: no certificate, no PDF job, no number used up.
    assert Certificate.objects.filter(approval=approval).count() == 1
    assert Job.objects.count() == jobs
