"""The construction-project bundle on the demo catalogue: nine approvals in five
departments, each started only once the certificates it needs exist."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cases.constants import ApplicantKind, ApprovalState, CaseState, IdType
from cases.models import Applicant, Approval
from cases.services.intake import case_accept, case_create, case_submit
from cases.services.review import approval_approve
from certificates.models import Certificate
from departments.models import Bundle, RegistryRecord
from departments.services.demo import demo_load

# What runs in parallel at each stage, in order (the catalogue's certificate flows).
STAGES = [
    {"E001"},
    {"L001"},
    {"E002"},
    {"E003"},
    {"E004"},
    {"G001", "F001", "AA001"},
    {"F002"},
]


def _accepted_construction_project(django_capture_on_commit_callbacks):
    """The demo catalogue, and a company's construction project accepted at the window."""
    demo_load(force=True)
    clerk = get_user_model().objects.get(username="clerk")
    record = RegistryRecord.objects.filter(
        registry__code="LEGAL_PERSON", data__status="存续"
    ).first()
    company = Applicant.objects.create(
        kind=ApplicantKind.ORGANISATION,
        id_type=IdType.USCC,
        id_number=record.subject_id,
        name=record.data["name"],
    )
    case = case_create(
        applicant=company, bundle=Bundle.objects.get(code="CONSTRUCTION_PROJECT"), created_by=clerk
    )
    case = case_submit(case=case, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        case_accept(case=case, actor=clerk)
    return case


@pytest.mark.django_db
def test_later_items_start_only_after_the_certificates_they_need_exist(
    django_capture_on_commit_callbacks,
):
    case = _accepted_construction_project(django_capture_on_commit_callbacks)
    users = get_user_model().objects

    approvals = {approval.item.code: approval for approval in case.approvals.select_related("item")}
    assert set(approvals) == set().union(*STAGES)
    done: set[str] = set()
    for stage in STAGES:
        states = dict(case.approvals.values_list("item__code", "state"))
        started = {code for code, state in states.items() if state == ApprovalState.IN_REVIEW}
        assert started == stage, f"after {sorted(done)}"
        assert {code for code, state in states.items() if state == ApprovalState.WAITING} == (
            set(approvals) - done - stage
        )
        for code in sorted(stage):
            approval = Approval.objects.get(pk=approvals[code].pk)
            # Everything it waited for is granted and its certificate is in the library.
            for prerequisite in approval.waits_for.all():
                assert prerequisite.state == ApprovalState.APPROVED
                assert Certificate.objects.filter(approval=prerequisite).exists()
            reviewer = users.get(username=f"reviewer_{approval.department.code.lower()}")
            with django_capture_on_commit_callbacks(execute=True):
                approval_approve(approval=approval, actor=reviewer, note="符合要求")
            done.add(code)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert Certificate.objects.filter(case=case).count() == 9


@pytest.mark.django_db
def test_refusing_the_first_step_ends_every_waiting_step_once(django_capture_on_commit_callbacks):
    """E004 waits for E002 and E003, and E003 for E002: ending E002's dependents must end
    E004 once, not fail on it the second time round (found by the demo's refused project)."""
    from cases.services.review import approval_reject

    case = _accepted_construction_project(django_capture_on_commit_callbacks)
    users = get_user_model().objects
    first = case.approvals.select_related("item", "department").get(item__code="E001")

    approval_reject(
        approval=first, actor=users.get(username="reviewer_e"), note="选址不符合国土空间规划"
    )

    states = dict(case.approvals.values_list("item__code", "state"))
    assert states.pop("E001") == ApprovalState.REJECTED
    assert set(states.values()) == {ApprovalState.VOIDED}
    case.refresh_from_db()
    assert case.state == CaseState.DENIED
    voids = case.events.filter(name="void").values_list("approval__item__code", flat=True)
    assert sorted(voids) == sorted(states)  # each once
