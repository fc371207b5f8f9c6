"""The department systems' API: their approvals only, decisions that conclude cases, clear refusals.

Calls go through DRF's test client with ``Authorization: Token <key>``, the
tokens made by ``manage.py drf_create_token`` as a department would make them.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.constants import ApprovalState, CaseState, EventKind, SlaColour, VerificationOutcome
from cases.models import Approval, Case, CaseEvent
from cases.services.dispatch import case_dispatch
from cases.services.review import approval_approve
from cases.services.transitions import run_transition
from departments.constants import Role
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    ServiceItemFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:approval-list")
CHECKS = [
    {
        "registry": "SOCIAL",
        "registry_name": "社会保险库",
        "outcome": VerificationOutcome.OK,
        "passed": True,
        "verification": 7,
    }
]


def decision_url(approval) -> str:
    return reverse("api:approval-decision", args=[approval.pk])


def token_client(user) -> APIClient:
    """A client holding the token ``drf_create_token`` printed for the user."""
    output = io.StringIO()
    call_command("drf_create_token", user.get_username(), stdout=output)
    key = Token.objects.get(user=user).key
    assert key in output.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def system_x(department):
    return StaffFactory(
        username="system_x", role=Role.DEPARTMENT_SYSTEM, department=department, is_staff=False
    )


@pytest.fixture
def api_x(system_x):
    return token_client(system_x)


@pytest.fixture
def api_y(other_department):
    return token_client(
        StaffFactory(username="system_y", role=Role.DEPARTMENT_SYSTEM, department=other_department)
    )


def item_with_materials(department, *codes: str):
    item = ServiceItemFactory(department=department)
    for position, code in enumerate(codes):
        MaterialRequirementFactory(
            item=item, material_type=MaterialTypeFactory(code=code), position=position
        )
    return item


def approval_in_review(department, *codes: str) -> Approval:
    """A one-item case dispatched by the real service, its approval put in review."""
    case = case_dispatch(
        case=CaseFactory(state=CaseState.ACCEPTED, items=[item_with_materials(department, *codes)])
    )
    return run_transition(Approval.objects.get(case=case), "start_review", checks=CHECKS)


# --- authentication and who may call ----------------------------------------


def test_without_a_token_the_list_is_refused():
    assert APIClient().get(LIST_URL).status_code in (401, 403)


def test_a_wrong_token_is_refused(department):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(LIST_URL).status_code == 401


def test_a_clerk_may_not_read_approvals(clerk):
    response = token_client(clerk).get(LIST_URL)
    assert response.status_code == 403
    assert "部门审批人员" in response.json()["detail"]


# --- the list ------------------------------------------------------------------


def test_list_shows_the_callers_department_only_with_the_contract_fields(
    api_x, department, other_department
):
    mine = approval_in_review(department, "LEASE")
    approval_in_review(other_department, "POLICE_FORM")
    response = api_x.get(LIST_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert {
        key: row[key] for key in ("id", "tracking_no", "item", "state", "due_date", "checks")
    } == {
        "id": mine.pk,
        "tracking_no": mine.case.tracking_no,
        "item": mine.item.code,
        "state": "IN_REVIEW",
        "due_date": mine.due_date.isoformat(),
        "checks": CHECKS,
    }
    assert row["department"] == department.code


def test_list_filters_by_state(api_x, department):
    in_review = approval_in_review(department, "LEASE")
    item = ServiceItemFactory(department=department)
    waiting = ApprovalFactory(item=item, state=ApprovalState.WAITING)
    approved = ApprovalFactory(item=item, state=ApprovalState.APPROVED)

    def ids(query: str) -> list[int]:
        return [row["id"] for row in api_x.get(LIST_URL + query).json()["results"]]

    assert ids("?state=IN_REVIEW") == [in_review.pk]
    assert sorted(ids("?state=WAITING,APPROVED")) == sorted([waiting.pk, approved.pk])
    assert len(ids("")) == 3


def test_unknown_state_filter_is_a_400_naming_the_field(api_x):
    response = api_x.get(LIST_URL + "?state=DONE")
    assert response.status_code == 400
    assert "未知状态：DONE" in response.json()["state"][0]


def test_a_blank_state_filter_is_a_400_not_an_unfiltered_list(api_x, department):
    ApprovalFactory(item=ServiceItemFactory(department=department), state=ApprovalState.IN_REVIEW)
    for query in ("?state=", "?state=IN_REVIEW,", "?state=,"):
        response = api_x.get(LIST_URL + query)
        assert response.status_code == 400, query
        assert "未知状态：（空）" in response.json()["state"][0]


@pytest.mark.parametrize("page_size", ["true", "", "0", "201", "2.5", "-1", "１０"])
def test_a_page_size_that_is_no_whole_number_from_1_to_200_is_a_400_naming_it(
    api_x, department, page_size
):
    ApprovalFactory(item=ServiceItemFactory(department=department), state=ApprovalState.IN_REVIEW)
    response = api_x.get(LIST_URL, {"page_size": page_size})
    assert response.status_code == 400
    assert response.json() == {
        "page_size": [f"每页条数 page_size 须为 1 至 200 之间的整数，收到的是“{page_size}”。"]
    }


@pytest.mark.parametrize("page", ["", "abc", "0", "last"])
def test_a_page_that_is_no_positive_whole_number_is_a_400_naming_it(api_x, page):
    response = api_x.get(LIST_URL, {"page": page})
    assert response.status_code == 400
    assert response.json() == {"page": [f"页码 page 须为正整数，收到的是“{page}”。"]}


def test_a_page_past_the_end_is_a_404_and_the_largest_page_size_is_taken(api_x, department):
    item = ServiceItemFactory(department=department)
    ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW)
    assert api_x.get(LIST_URL, {"page": 2}).status_code == 404
    response = api_x.get(LIST_URL, {"page": 1, "page_size": 200})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_list_is_paginated_most_urgent_first(api_x, department):
    item = ServiceItemFactory(department=department)
    green = [ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW) for _ in range(3)]
    red = ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW, sla_colour=SlaColour.RED)
    first_page = api_x.get(LIST_URL + "?page_size=2").json()
    assert first_page["count"] == 4
    assert first_page["results"][0]["id"] == red.pk
    assert first_page["next"]
    second_page = api_x.get(first_page["next"]).json()
    seen = [row["id"] for row in first_page["results"] + second_page["results"]]
    assert sorted(seen) == sorted([red.pk, *(approval.pk for approval in green)])


def test_forty_approvals_list_in_a_fixed_number_of_queries(api_x, department):
    item = ServiceItemFactory(department=department)
    for _ in range(3):
        ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW)
    api_x.get(LIST_URL)
    with CaptureQueriesContext(connection) as three:
        assert len(api_x.get(LIST_URL).json()["results"]) == 3
    for _ in range(37):
        ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW)
    with CaptureQueriesContext(connection) as forty:
        assert len(api_x.get(LIST_URL).json()["results"]) == 40
    assert len(forty) == len(three) <= 6, [query["sql"] for query in forty]


def test_supervisor_reads_every_department(department, other_department):
    approval_in_review(department, "LEASE")
    approval_in_review(other_department, "POLICE_FORM")
    supervisor = StaffFactory(role=Role.SUPERVISOR)
    assert token_client(supervisor).get(LIST_URL).json()["count"] == 2


# --- decisions -----------------------------------------------------------------


def test_approve_moves_the_approval_and_concludes_the_case(api_x, system_x, department):
    approval = approval_in_review(department, "LEASE")
    response = api_x.post(
        decision_url(approval), {"decision": "approve", "note": "符合条件"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "APPROVED"
    assert response.json()["decision_note"] == "符合条件"
    approval.refresh_from_db()
    assert (approval.state, approval.decided_by) == (ApprovalState.APPROVED, system_x)
    assert Case.objects.get(pk=approval.case_id).state == CaseState.APPROVED
    event = CaseEvent.objects.get(approval=approval, kind=EventKind.DECISION)
    assert (event.actor, event.actor_department_id) == (system_x, department.pk)


def test_reject_with_reason_denies_the_case(api_x, department):
    approval = approval_in_review(department, "LEASE")
    response = api_x.post(
        decision_url(approval), {"decision": "reject", "note": "场所不符合要求"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "REJECTED"
    assert Case.objects.get(pk=approval.case_id).state == CaseState.DENIED


def test_supplement_lists_materials_and_suspends_the_case(api_x, department):
    approval = approval_in_review(department, "LEASE", "SITE_PLAN")
    response = api_x.post(
        decision_url(approval),
        {"decision": "supplement", "note": "合同缺页", "materials": ["LEASE"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "SUPPLEMENT_REQUESTED"
    assert response.json()["supplement_materials"] == ["LEASE"]
    assert Case.objects.get(pk=approval.case_id).state == CaseState.SUSPENDED


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"decision": "grant"}, "decision", "grant"),
        ({}, "decision", ""),
        ({"decision": "reject"}, "note", "不予准予必须写明理由。"),
        ({"decision": "reject", "note": "  "}, "note", "不予准予必须写明理由。"),
        ({"decision": "supplement"}, "materials", "至少选择一项"),
        ({"decision": "supplement", "materials": ["LEASE", "NOPE"]}, "materials", "未知材料：NOPE"),
        ({"decision": "approve", "materials": ["LEASE"]}, "materials", "只有要求补正时"),
        ({"decision": "supplement", "materials": "LEASE"}, "materials", ""),
    ],
)
def test_bad_input_is_a_400_per_field_and_changes_nothing(api_x, department, body, field, message):
    approval = approval_in_review(department, "LEASE")
    events_before = CaseEvent.objects.count()
    response = api_x.post(decision_url(approval), body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert message in " ".join(errors[field])
    approval.refresh_from_db()
    assert approval.state == ApprovalState.IN_REVIEW
    assert Case.objects.get(pk=approval.case_id).state == CaseState.IN_REVIEW
    assert CaseEvent.objects.count() == events_before


def test_reject_without_note_and_unknown_material_report_both_fields(api_x, department):
    approval = approval_in_review(department, "LEASE")
    response = api_x.post(
        decision_url(approval), {"decision": "reject", "materials": ["NOPE"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"note", "materials"}


def test_another_departments_approval_is_404_and_unchanged(api_y, department):
    approval = approval_in_review(department, "LEASE")
    response = api_y.post(decision_url(approval), {"decision": "approve"}, format="json")
    assert response.status_code == 404
    approval.refresh_from_db()
    assert approval.state == ApprovalState.IN_REVIEW
    assert approval.pk not in [row["id"] for row in api_y.get(LIST_URL).json()["results"]]


def test_unknown_approval_is_404(api_x):
    assert (
        api_x.post("/api/v1/approvals/999999/decision/", {"decision": "approve"}).status_code == 404
    )


def test_decision_on_a_decided_approval_is_409_and_changes_nothing(api_x, department):
    approval = approval_in_review(department, "LEASE")
    colleague = StaffFactory(role=Role.REVIEWER, department=department)
    approval_approve(approval=approval, actor=colleague)
    response = api_x.post(
        decision_url(approval), {"decision": "reject", "note": "不同意"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["state"] == "APPROVED"
    assert "不能不予准予" in response.json()["detail"]
    approval.refresh_from_db()
    assert (approval.state, approval.decided_by) == (ApprovalState.APPROVED, colleague)


@pytest.mark.parametrize("state", [ApprovalState.WAITING, ApprovalState.SUPPLEMENT_REQUESTED])
def test_decision_on_an_approval_not_in_review_is_409(api_x, department, state):
    approval = ApprovalFactory(item=ServiceItemFactory(department=department), state=state)
    response = api_x.post(decision_url(approval), {"decision": "approve"}, format="json")
    assert response.status_code == 409
    assert Approval.objects.get(pk=approval.pk).state == state


def test_supervisor_sees_but_may_not_decide(department):
    approval = approval_in_review(department, "LEASE")
    client = token_client(StaffFactory(role=Role.SUPERVISOR))
    response = client.post(decision_url(approval), {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert Approval.objects.get(pk=approval.pk).state == ApprovalState.IN_REVIEW


def test_a_reviewer_uses_the_api_like_a_department_system(department):
    reviewer = StaffFactory(role=Role.REVIEWER, department=department)
    approval = approval_in_review(department, "LEASE")
    response = token_client(reviewer).post(
        decision_url(approval), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "APPROVED"


# --- the schema ---------------------------------------------------------------


def test_schema_documents_the_approvals_endpoints(api_x):
    response = api_x.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    decision = schema["paths"]["/api/v1/approvals/{id}/decision/"]["post"]
    assert set(decision["responses"]) >= {"200", "400", "403", "404", "409"}
    request_schema = decision["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    decision_fields = schema["components"]["schemas"][request_schema.rsplit("/", 1)[1]]
    assert set(decision_fields["properties"]) == {"decision", "note", "materials"}
    listing = schema["paths"]["/api/v1/approvals/"]["get"]
    assert "state" in {parameter["name"] for parameter in listing["parameters"]}
    assert "tokenAuth" in schema["components"]["securitySchemes"]
