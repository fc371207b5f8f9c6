"""Every transition of the case and approval state machines, from every source state.

Allowed: the state moves to the target and exactly one event records it.
Forbidden: a clear error, the state and the event log unchanged.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cases.constants import ApprovalState, CaseState, CertificateStatus
from cases.exceptions import InvalidTransitionError, TransitionPermissionError
from cases.models import Approval, Case, CaseEvent
from cases.services.transitions import run_transition
from certificates.models import Certificate
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CertificateFactory,
    ServiceItemFactory,
    UserFactory,
)

DUE = dt.date(2026, 12, 31)

# transition: (source states, target, arguments)
CASE_TRANSITIONS: dict[str, tuple[list[str], str, dict]] = {
    "submit": ([CaseState.DRAFT], CaseState.SUBMITTED, {}),
    "accept": ([CaseState.SUBMITTED], CaseState.ACCEPTED, {"due_date": DUE}),
    "request_materials": ([CaseState.SUBMITTED], CaseState.PENDING_MATERIALS, {}),
    "supplement": ([CaseState.PENDING_MATERIALS], CaseState.SUBMITTED, {}),
    "refuse": ([CaseState.SUBMITTED], CaseState.REFUSED, {"reason": "不属于本机关职权范围"}),
    "dispatch": ([CaseState.ACCEPTED], CaseState.IN_REVIEW, {}),
    "suspend": ([CaseState.IN_REVIEW], CaseState.SUSPENDED, {}),
    "resume": ([CaseState.SUSPENDED], CaseState.IN_REVIEW, {}),
    "conclude": ([CaseState.IN_REVIEW], CaseState.APPROVED, {"approved": True}),
    "issue": ([CaseState.APPROVED], CaseState.ISSUED, {}),
    "ship": ([CaseState.ISSUED], CaseState.IN_DELIVERY, {}),
    "return_to_window": ([CaseState.IN_DELIVERY], CaseState.ISSUED, {}),
    "deliver": ([CaseState.IN_DELIVERY], CaseState.CLOSED, {}),
    "collect": ([CaseState.ISSUED], CaseState.CLOSED, {}),
    "notify": ([CaseState.DENIED], CaseState.CLOSED, {}),
    "withdraw": (
        [
            CaseState.DRAFT,
            CaseState.SUBMITTED,
            CaseState.PENDING_MATERIALS,
            CaseState.ACCEPTED,
            CaseState.IN_REVIEW,
            CaseState.SUSPENDED,
            CaseState.APPROVED,
        ],
        CaseState.WITHDRAWN,
        {},
    ),
}

APPROVAL_TRANSITIONS: dict[str, tuple[list[str], str, dict]] = {
    "unblock": ([ApprovalState.WAITING], ApprovalState.PENDING, {}),
    "start_review": (
        [ApprovalState.PENDING],
        ApprovalState.IN_REVIEW,
        {"checks": [{"registry": "TAX", "ok": True}]},
    ),
    "auto_approve": (
        [ApprovalState.PENDING],
        ApprovalState.APPROVED,
        {"checks": [{"registry": "TAX", "ok": True}]},
    ),
    "approve": ([ApprovalState.IN_REVIEW], ApprovalState.APPROVED, {"decision_note": "符合条件"}),
    "reject": ([ApprovalState.IN_REVIEW], ApprovalState.REJECTED, {"decision_note": "不符合条件"}),
    "request_supplement": (
        [ApprovalState.IN_REVIEW],
        ApprovalState.SUPPLEMENT_REQUESTED,
        {"materials": ["FLOOR_PLAN"], "decision_note": "平面图不清晰"},
    ),
    "receive_supplement": ([ApprovalState.SUPPLEMENT_REQUESTED], ApprovalState.IN_REVIEW, {}),
    "void": (
        [
            ApprovalState.WAITING,
            ApprovalState.PENDING,
            ApprovalState.IN_REVIEW,
            ApprovalState.SUPPLEMENT_REQUESTED,
        ],
        ApprovalState.VOIDED,
        {"decision_note": "申请人撤回"},
    ),
}

CERTIFICATE_TRANSITIONS: dict[str, tuple[list[str], str, dict]] = {
    "revoke": ([CertificateStatus.VALID], CertificateStatus.REVOKED, {"reason": "以欺骗手段取得"}),
    "expire": ([CertificateStatus.VALID], CertificateStatus.EXPIRED, {}),
    "supersede": ([CertificateStatus.VALID], CertificateStatus.SUPERSEDED, {}),
}


def _cases(table, states):
    """One test per transition × every state of the machine: allowed or not."""
    return [
        pytest.param(name, state, state in sources, target, arguments, id=f"{name}-from-{state}")
        for name, (sources, target, arguments) in table.items()
        for state in states
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "state", "allowed", "target", "arguments"), _cases(CASE_TRANSITIONS, CaseState)
)
def test_case_transition(name, state, allowed, target, arguments):
    case = CaseFactory(state=state)
    events_before = CaseEvent.objects.count()
    if allowed:
        result = run_transition(case, name, actor=None, actor_label="system", **arguments)
        assert result.state == target
        assert Case.objects.get(pk=case.pk).state == target
        event = CaseEvent.objects.get(case=case)
        assert (event.name, event.from_state, event.to_state) == (name, state, target)
    else:
        with pytest.raises(InvalidTransitionError) as error:
            run_transition(case, name, actor=None, actor_label="system", **arguments)
        assert case.tracking_no in str(error.value)
        assert Case.objects.get(pk=case.pk).state == state
        assert CaseEvent.objects.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "state", "allowed", "target", "arguments"), _cases(APPROVAL_TRANSITIONS, ApprovalState)
)
def test_approval_transition(name, state, allowed, target, arguments):
    approval = ApprovalFactory(state=state)
    if allowed:
        result = run_transition(approval, name, actor=None, actor_label="system", **arguments)
        assert Approval.objects.get(pk=approval.pk).state == target == result.state
        event = CaseEvent.objects.get(approval=approval)
        assert event.case_id == approval.case_id
        assert (event.name, event.from_state, event.to_state) == (name, state, target)
    else:
        with pytest.raises(InvalidTransitionError):
            run_transition(approval, name, actor=None, actor_label="system", **arguments)
        assert Approval.objects.get(pk=approval.pk).state == state
        assert not CaseEvent.objects.filter(approval=approval).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "state", "allowed", "target", "arguments"),
    _cases(CERTIFICATE_TRANSITIONS, CertificateStatus),
)
def test_certificate_transition(name, state, allowed, target, arguments):
    certificate = CertificateFactory(status=state, case=CaseFactory(state=CaseState.CLOSED))
    if allowed:
        run_transition(certificate, name, actor=None, actor_label="system", **arguments)
        assert Certificate.objects.get(pk=certificate.pk).status == target
        assert (
            CaseEvent.objects.filter(certificate=certificate, name=name, to_state=target).count()
            == 1
        )
    else:
        with pytest.raises(InvalidTransitionError):
            run_transition(certificate, name, actor=None, actor_label="system", **arguments)
        assert Certificate.objects.get(pk=certificate.pk).status == state


@pytest.mark.django_db
def test_conclude_with_a_rejection_denies_the_case():
    case = CaseFactory(state=CaseState.IN_REVIEW)
    assert run_transition(case, "conclude", approved=False).state == CaseState.DENIED


@pytest.mark.django_db
def test_state_field_cannot_be_assigned_directly():
    case = CaseFactory(state=CaseState.SUBMITTED)
    with pytest.raises(AttributeError):
        case.state = CaseState.ACCEPTED


# --- permissions: who may run which transition ---


@pytest.mark.django_db
def test_clerk_accepts_but_a_reviewer_may_not(clerk, reviewer):
    case = CaseFactory(state=CaseState.SUBMITTED)
    with pytest.raises(TransitionPermissionError):
        run_transition(case, "accept", actor=reviewer, due_date=DUE)
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    accepted = run_transition(case, "accept", actor=clerk, due_date=DUE)
    assert accepted.state == CaseState.ACCEPTED
    event = CaseEvent.objects.get(case=case, name="accept")
    assert event.actor == clerk


@pytest.mark.django_db
def test_agent_may_submit_and_request_materials_but_not_refuse(agent):
    case = CaseFactory(state=CaseState.SUBMITTED)
    with pytest.raises(TransitionPermissionError):
        run_transition(case, "refuse", actor=agent, reason="材料不全")
    assert (
        run_transition(case, "request_materials", actor=agent).state == CaseState.PENDING_MATERIALS
    )


@pytest.mark.django_db
def test_only_the_approvals_department_decides(
    department, other_department, reviewer, other_reviewer, clerk
):
    item = ServiceItemFactory(department=department)
    approval = ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW)
    for outsider in (other_reviewer, clerk):
        with pytest.raises(TransitionPermissionError):
            run_transition(approval, "approve", actor=outsider, by=outsider)
    assert Approval.objects.get(pk=approval.pk).state == ApprovalState.IN_REVIEW
    decided = run_transition(approval, "approve", actor=reviewer, by=reviewer)
    assert decided.state == ApprovalState.APPROVED
    assert decided.decided_by == reviewer
    assert CaseEvent.objects.get(approval=approval).actor_department == department


@pytest.mark.django_db
def test_system_transitions_refuse_people_but_superusers_may_force(clerk, superuser):
    case = CaseFactory(state=CaseState.ACCEPTED)
    with pytest.raises(TransitionPermissionError):
        run_transition(case, "dispatch", actor=clerk)
    forced = run_transition(case, "dispatch", actor=superuser)
    assert forced.state == CaseState.IN_REVIEW
    assert CaseEvent.objects.get(case=case, name="dispatch").actor == superuser


@pytest.mark.django_db
def test_only_the_issuing_department_revokes(department, reviewer, other_reviewer):
    certificate = CertificateFactory(
        certificate_type__issuing_department=department, case=CaseFactory(state=CaseState.CLOSED)
    )
    with pytest.raises(TransitionPermissionError):
        run_transition(certificate, "revoke", actor=other_reviewer, reason="错误")
    assert (
        run_transition(certificate, "revoke", actor=reviewer, reason="错误").status
        == CertificateStatus.REVOKED
    )


@pytest.mark.django_db
def test_a_user_without_a_role_can_do_nothing_guarded():
    nobody = UserFactory()
    case = CaseFactory(state=CaseState.SUBMITTED)
    with pytest.raises(TransitionPermissionError):
        run_transition(case, "accept", actor=nobody, due_date=DUE)


@pytest.mark.django_db
def test_error_messages_are_specific():
    case = CaseFactory(state=CaseState.CLOSED)
    with pytest.raises(InvalidTransitionError) as error:
        run_transition(case, "accept", due_date=DUE)
    message = str(error.value)
    assert "已办结" in message and "受理" in message and case.tracking_no in message


def test_every_transition_of_the_models_is_in_the_tables():
    """A transition added to a model without a row here would go untested."""

    def declared(model):
        return {
            transition.name
            for transition in getattr(
                model, f"get_all_{'status' if model is Certificate else 'state'}_transitions"
            )(model())
        }

    assert declared(Case) == set(CASE_TRANSITIONS)
    assert declared(Approval) == set(APPROVAL_TRANSITIONS)
    assert declared(Certificate) == set(CERTIFICATE_TRANSITIONS)


# --- transactions: a joined transition opens no savepoint, and a refusal leaves the caller's
# transaction usable ---


@pytest.mark.django_db(transaction=True)
def test_a_transition_inside_a_callers_transaction_opens_no_savepoint():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    case = CaseFactory(state=CaseState.SUBMITTED)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        run_transition(case, "accept", due_date=DUE)
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_a_refused_transition_leaves_the_callers_transaction_usable_and_committing():
    from django.db import transaction

    case = CaseFactory(state=CaseState.SUBMITTED)
    other = CaseFactory(state=CaseState.SUBMITTED)
    with transaction.atomic():
        with pytest.raises(InvalidTransitionError):
            run_transition(case, "dispatch")  # SUBMITTED cannot be dispatched
        run_transition(other, "accept", due_date=DUE)
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    assert Case.objects.get(pk=other.pk).state == CaseState.ACCEPTED
    assert not CaseEvent.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=other, name="accept").count() == 1


@pytest.mark.django_db
def test_the_columns_a_transition_writes_include_a_json_list_changed_in_place():
    """Transitions write only changed columns; a list changed in place counts as changed."""
    from cases.services.transitions import _changed_fields, _column_values

    approval = ApprovalFactory(state=ApprovalState.PENDING, checks=[{"registry": "TAX"}])
    before = _column_values(approval)
    approval.checks.append({"registry": "SOCIAL"})  # in place, not a new list
    assert set(_changed_fields(approval, before)) == {"checks", "updated_at"}
    before = _column_values(approval)
    assert _changed_fields(approval, before) == ["updated_at"]  # auto_now: always written
