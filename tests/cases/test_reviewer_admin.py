"""Reviewers in the admin: only their department, decisions through the buttons, lists that stay cheap.

Approvals come from the real services (dispatch, then the checks' ``start_review``),
and the buttons call the real review services, so a decision here concludes the
case exactly as it would anywhere else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import unquote as url_unquote

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.constants import (
    ApprovalState,
    CaseState,
    EventKind,
    MaterialStatus,
    SlaColour,
    VerificationOutcome,
)
from cases.models import Approval, Case, CaseEvent, CaseMaterial, Verification
from cases.services.dispatch import case_dispatch
from cases.services.review import approval_approve
from cases.services.transitions import run_transition
from certificates.models import Certificate
from departments.constants import Role
from departments.services.demo import GROUP_PERMISSIONS
from tests.departments.test_admin import admin_url
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    CertificateTypeFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    ServiceItemFactory,
    StaffFactory,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

RARE_FILE_NAME = "𠮷野花子-租赁合同.pdf"
FILE_CONTENT = b"%PDF-1.4 lease contract \x00\xff binary tail"


# --- people ----------------------------------------------------------------


def grant(user, keys) -> None:
    condition = Q(pk__in=[])
    for app_label, codename in keys:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(Permission.objects.filter(condition))


def login(client, user):
    sign_in(client, user)
    return client


@pytest.fixture
def reviewer_x(department):
    user = StaffFactory(username="reviewer_x", role=Role.REVIEWER, department=department)
    grant(user, GROUP_PERMISSIONS["reviewers"])
    return user


@pytest.fixture
def reviewer_y(other_department):
    user = StaffFactory(username="reviewer_y", role=Role.REVIEWER, department=other_department)
    grant(user, GROUP_PERMISSIONS["reviewers"])
    return user


@pytest.fixture
def supervisor(db):
    user = StaffFactory(username="supervisor_test", role=Role.SUPERVISOR)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["cases", "certificates", "departments"],
            codename__startswith="view_",
        )
    )
    return user


# --- cases -----------------------------------------------------------------


def item_with_materials(department, *codes: str, name: str | None = None):
    item = ServiceItemFactory(department=department, **({"name": name} if name else {}))
    for position, code in enumerate(codes):
        MaterialRequirementFactory(
            item=item,
            material_type=MaterialTypeFactory(code=code, name=f"材料{code}"),
            position=position,
        )
    return item


def dispatched_case(*items, checks=None):
    """A case accepted and dispatched by the real service, every approval put in review."""
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=list(items)))
    for approval in Approval.objects.filter(case=case, state=ApprovalState.PENDING):
        run_transition(approval, "start_review", checks=checks or [])
    return case


def uploaded(case, code: str, *, name: str = RARE_FILE_NAME, content: bytes = FILE_CONTENT):
    material = CaseMaterial(
        case=case,
        material_type=MaterialTypeFactory(code=code),
        status=MaterialStatus.UPLOADED,
        original_name=name,
        size=len(content),
        content_type="application/pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        detail="窗口扫描",
    )
    material.file.save(name, ContentFile(content), save=False)
    material.save()
    return material


@pytest.fixture
def shared_case(department, other_department):
    """One case with an item of department X (A) and an item of department Y (B)."""
    verification = Verification.objects.create(
        registry=RegistryFactory(department=other_department, name="社会保险库"),
        subject_id="510104198001010011",
        purpose="核验参保",
        requesting_department=department,
        outcome=VerificationOutcome.OK,
        request_sha256="a" * 64,
        response_sha256="b" * 64,
    )
    item_x = item_with_materials(department, "LEASE", "SITE_PLAN", name="食品经营许可")
    item_y = item_with_materials(other_department, "POLICE_FORM", name="特种行业许可")
    case = dispatched_case(
        item_x,
        item_y,
        checks=[
            {
                "registry": "SOCIAL",
                "registry_name": "社会保险库",
                "outcome": VerificationOutcome.OK,
                "passed": True,
                "verification": verification.pk,
            }
        ],
    )
    approval_x = Approval.objects.get(case=case, item=item_x)
    approval_y = Approval.objects.get(case=case, item=item_y)
    lease = uploaded(case, "LEASE")
    police_form = uploaded(case, "POLICE_FORM", name="公安表.pdf", content=b"secret of B")
    CaseEvent.objects.create(
        case=case,
        approval=approval_y,
        kind=EventKind.NOTE,
        name="note",
        note="公安内部意见：待核查",
    )
    return {
        "case": case,
        "approval_x": approval_x,
        "approval_y": approval_y,
        "lease": lease,
        "police_form": police_form,
        "verification": verification,
        "item_x": item_x,
        "item_y": item_y,
    }


def changelist(client, model, **params):
    response = client.get(admin_url(model, "changelist"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def decide(client, approval, **data):
    data.setdefault("seen_state", ApprovalState.IN_REVIEW)
    return client.post(reverse("admin:cases_approval_decide", args=[approval.pk]), data)


# --- what a reviewer sees ----------------------------------------------------


def test_reviewer_lists_only_their_departments_approvals(client, reviewer_x, shared_case):
    login(client, reviewer_x)
    assert changelist(client, Approval) == [shared_case["approval_x"]]


def test_supervisor_and_superuser_list_every_department(client, supervisor, superuser, shared_case):
    expected = {shared_case["approval_x"], shared_case["approval_y"]}
    assert set(changelist(login(client, supervisor), Approval)) == expected
    assert set(changelist(login(client, superuser), Approval)) == expected


def test_reviewer_list_has_no_department_column_or_filter(client, reviewer_x, shared_case):
    response = login(client, reviewer_x).get(admin_url(Approval, "changelist"))
    changelist_ = response.context["cl"]
    assert "department" not in changelist_.list_display
    assert [spec.title for spec in changelist_.filter_specs] == ["状态", "时限状态"]
    html = response.content.decode()
    assert shared_case["case"].tracking_no in html
    assert shared_case["item_y"].name not in html


@pytest.mark.parametrize(
    ("view", "args"),
    [("change", ()), ("history", ()), ("decide", ()), ("material_file", ("police_form",))],
)
def test_another_departments_approval_is_not_found(client, reviewer_x, shared_case, view, args):
    approval_y = shared_case["approval_y"]
    url = reverse(
        f"admin:cases_approval_{view}",
        args=[approval_y.pk, *(shared_case[name].pk for name in args)],
    )
    login(client, reviewer_x)
    if view == "decide":
        response = client.post(url, {"decision": "approve", "seen_state": "IN_REVIEW"})
    else:
        response = client.get(url)
    assert response.status_code == 404
    approval_y.refresh_from_db()
    assert approval_y.state == ApprovalState.IN_REVIEW


def test_unknown_approval_is_not_found_either(client, reviewer_x):
    response = login(client, reviewer_x).get(admin_url(Approval, "change", 999999))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "model", [Case, CaseMaterial, Certificate, CaseEvent, Verification, Approval]
)
def test_every_scoped_list_shows_a_reviewer_only_their_department(
    client, reviewer_x, reviewer_y, shared_case, department, other_department, model
):
    # A certificate and an event of each department, besides what the shared case holds.
    for dept, reviewer in ((department, reviewer_x), (other_department, reviewer_y)):
        CertificateFactory(
            case=shared_case["case"],
            certificate_type=CertificateTypeFactory(issuing_department=dept),
        )
        CaseEvent.objects.create(
            case=shared_case["case"], kind=EventKind.NOTE, actor=reviewer, actor_department=dept
        )
    other_case = dispatched_case(item_with_materials(other_department, "OTHER_ONLY"))
    uploaded(other_case, "OTHER_ONLY")
    Verification.objects.create(
        registry=shared_case["verification"].registry,
        subject_id="510104198001010011",
        purpose="核验户籍",
        requesting_department=other_department,
        outcome=VerificationOutcome.NO_MATCH,
        request_sha256="c" * 64,
    )

    visible_x = changelist(login(client, reviewer_x), model)
    visible_y = changelist(login(client, reviewer_y), model)
    assert visible_x, model
    assert visible_y, model
    assert not set(visible_x) & set(visible_y) or model is Case
    for row in visible_x:
        response = client.get(admin_url(row, "change", row.pk))  # logged in as Y now
        if row in visible_y:
            assert response.status_code == 200
        else:
            assert response.status_code == 404, row
    if model is Case:
        # Both departments have an item in the shared case; only Y has the other one.
        assert set(visible_x) == {shared_case["case"]}
        assert set(visible_y) == {shared_case["case"], other_case}


def test_materials_list_shows_only_what_the_departments_items_ask_for(
    client, reviewer_x, shared_case
):
    assert changelist(login(client, reviewer_x), CaseMaterial) == [shared_case["lease"]]


def test_case_page_hides_the_other_departments_items_materials_and_notes(
    client, reviewer_x, superuser, shared_case
):
    case = shared_case["case"]
    html = login(client, reviewer_x).get(admin_url(case, "change", case.pk)).content.decode()
    assert shared_case["item_x"].name in html
    assert shared_case["item_y"].name not in html
    assert "公安表.pdf" not in html
    assert "公安内部意见" not in html
    assert RARE_FILE_NAME in html  # their own material, by name (no media link)
    assert "/media/" not in html
    everything = login(client, superuser).get(admin_url(case, "change", case.pk)).content.decode()
    assert shared_case["item_y"].name in everything
    assert "公安内部意见" in everything


# --- the approval page -------------------------------------------------------


def test_approval_page_shows_checks_materials_of_its_item_and_decision_buttons(
    client, reviewer_x, shared_case
):
    approval = shared_case["approval_x"]
    response = login(client, reviewer_x).get(admin_url(approval, "change", approval.pk))
    html = response.content.decode()
    assert "社会保险库" in html and "通过" in html
    assert reverse("admin:cases_verification_change", args=[shared_case["verification"].pk]) in html
    download = reverse(
        "admin:cases_approval_material_file", args=[approval.pk, shared_case["lease"].pk]
    )
    assert download in html
    assert "公安表.pdf" not in html  # the other item's material
    assert [value for value, _label in response.context["approval_decisions"]] == [
        "approve",
        "reject",
        "supplement",
    ]
    assert {material.code for material in response.context["supplement_choices"]} == {
        "LEASE",
        "SITE_PLAN",
    }
    assert 'value="approve"' in html and 'value="reject"' in html and 'value="supplement"' in html
    # The buttons belong to the decision form (not to the admin's own read-only form).
    decide_url = reverse("admin:cases_approval_decide", args=[approval.pk])
    assert f'id="approval-decision-form" action="{decide_url}"' in html
    assert html.count('form="approval-decision-form"') == 1 + 2 + 3  # note, 2 materials, 3 buttons
    assert 'name="state"' not in html  # the state is shown, never a form field


def test_decided_approval_has_no_buttons(client, reviewer_x, shared_case):
    approval = approval_approve(approval=shared_case["approval_x"], actor=reviewer_x)
    response = login(client, reviewer_x).get(admin_url(approval, "change", approval.pk))
    assert response.context["approval_decisions"] == []
    assert 'name="decision"' not in response.content.decode()


def test_supervisor_reads_the_approval_but_gets_no_buttons_and_no_files(
    client, supervisor, shared_case
):
    approval = shared_case["approval_x"]
    login(client, supervisor)
    response = client.get(admin_url(approval, "change", approval.pk))
    assert response.status_code == 200
    assert response.context["approval_decisions"] == []
    download = reverse(
        "admin:cases_approval_material_file", args=[approval.pk, shared_case["lease"].pk]
    )
    assert download not in response.content.decode()
    assert client.get(download).status_code == 403
    assert decide(client, approval, decision="approve").status_code == 302
    approval.refresh_from_db()
    assert approval.state == ApprovalState.IN_REVIEW


def test_reviewer_downloads_their_material_file(client, reviewer_x, shared_case):
    approval, lease = shared_case["approval_x"], shared_case["lease"]
    response = login(client, reviewer_x).get(
        reverse("admin:cases_approval_material_file", args=[approval.pk, lease.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FILE_CONTENT
    assert response["Content-Type"] == "application/pdf"
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert RARE_FILE_NAME in url_unquote(disposition.split("filename*=utf-8''")[1])


def test_another_items_material_cannot_be_downloaded_through_this_approval(
    client, reviewer_x, shared_case
):
    url = reverse(
        "admin:cases_approval_material_file",
        args=[shared_case["approval_x"].pk, shared_case["police_form"].pk],
    )
    assert login(client, reviewer_x).get(url).status_code == 404


# --- decisions with the buttons ---------------------------------------------


def test_approve_button_approves_and_concludes_the_case(client, reviewer_x, department):
    case = dispatched_case(item_with_materials(department, "LEASE"))
    approval = Approval.objects.get(case=case)
    response = decide(login(client, reviewer_x), approval, decision="approve", note="材料齐全")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_approval_changelist")
    approval.refresh_from_db()
    assert (approval.state, approval.decided_by, approval.decision_note) == (
        ApprovalState.APPROVED,
        reviewer_x,
        "材料齐全",
    )
    assert Case.objects.get(pk=case.pk).state == CaseState.APPROVED
    event = CaseEvent.objects.get(approval=approval, name="approve")
    assert (event.actor, event.actor_department_id) == (reviewer_x, department.pk)
    assert any("已准予" in message for message in messages_of(response))


def test_reject_button_needs_a_reason_and_with_one_denies_the_case(client, reviewer_x, department):
    case = dispatched_case(item_with_materials(department, "LEASE"))
    approval = Approval.objects.get(case=case)
    login(client, reviewer_x)
    response = decide(client, approval, decision="reject", note="   ")
    assert response["Location"] == admin_url(approval, "change", approval.pk)
    assert "不予准予必须写明理由。" in messages_of(response)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.IN_REVIEW
    assert not CaseEvent.objects.filter(approval=approval, kind=EventKind.DECISION).exists()

    decide(client, approval, decision="reject", note="经营场所不符合要求")
    approval.refresh_from_db()
    assert (approval.state, approval.decision_note) == (
        ApprovalState.REJECTED,
        "经营场所不符合要求",
    )
    assert Case.objects.get(pk=case.pk).state == CaseState.DENIED


def test_supplement_button_lists_materials_and_suspends_the_case(client, reviewer_x, department):
    case = dispatched_case(item_with_materials(department, "LEASE", "SITE_PLAN"))
    approval = Approval.objects.get(case=case)
    response = decide(
        login(client, reviewer_x),
        approval,
        decision="supplement",
        materials=["SITE_PLAN", "LEASE"],
        note="平面图不清晰，租赁合同缺页",
    )
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.state == ApprovalState.SUPPLEMENT_REQUESTED
    assert approval.supplement_materials == ["SITE_PLAN", "LEASE"]
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "supplement", "note": "请补正"}, "要求补正时请至少选择一项需要补正的材料。"),
        ({"decision": "supplement", "materials": ["NOPE"]}, "未知材料：NOPE"),
        ({"decision": "approve", "materials": ["LEASE"]}, "只有要求补正时才能列出材料。"),
        ({"decision": "delete"}, "决定必须是以下之一"),
        ({}, "决定必须是以下之一"),
    ],
)
def test_bad_input_explains_itself_and_changes_nothing(
    client, reviewer_x, department, data, message
):
    case = dispatched_case(item_with_materials(department, "LEASE"))
    approval = Approval.objects.get(case=case)
    events_before = CaseEvent.objects.count()
    response = decide(login(client, reviewer_x), approval, **data)
    assert response["Location"] == admin_url(approval, "change", approval.pk)
    assert any(message in text for text in messages_of(response)), messages_of(response)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.IN_REVIEW
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_REVIEW
    assert CaseEvent.objects.count() == events_before


def test_decision_on_what_someone_else_decided_says_so_and_changes_nothing(
    client, reviewer_x, department
):
    colleague = StaffFactory(role=Role.REVIEWER, department=department)
    case = dispatched_case(item_with_materials(department, "LEASE"))
    approval = Approval.objects.get(case=case)
    approval_approve(approval=approval, actor=colleague, note="同意")
    response = decide(login(client, reviewer_x), approval, decision="reject", note="不同意")
    assert any("已被他人处理" in message for message in messages_of(response))
    approval.refresh_from_db()
    assert (approval.state, approval.decided_by) == (ApprovalState.APPROVED, colleague)
    assert Case.objects.get(pk=case.pk).state == CaseState.APPROVED


def test_decide_answers_only_post(client, reviewer_x, shared_case):
    url = reverse("admin:cases_approval_decide", args=[shared_case["approval_x"].pk])
    assert login(client, reviewer_x).get(url).status_code == 405


# --- forty approvals ------------------------------------------------------------


def test_the_list_puts_the_most_urgent_first(client, reviewer_x, department):
    today = timezone.localdate()
    item = ServiceItemFactory(department=department)

    def approval(state, colour, days):
        return ApprovalFactory(
            item=item,
            case=CaseFactory(state=CaseState.IN_REVIEW),
            state=state,
            sla_colour=colour,
            due_date=today + dt.timedelta(days=days),
        )

    approved = approval(ApprovalState.APPROVED, SlaColour.RED, -5)
    green_soon = approval(ApprovalState.IN_REVIEW, SlaColour.GREEN, 1)
    green_later = approval(ApprovalState.IN_REVIEW, SlaColour.GREEN, 9)
    red = approval(ApprovalState.IN_REVIEW, SlaColour.RED, -1)
    amber = approval(ApprovalState.IN_REVIEW, SlaColour.AMBER, 3)
    supplement = approval(ApprovalState.SUPPLEMENT_REQUESTED, SlaColour.RED, -3)
    pending = approval(ApprovalState.PENDING, SlaColour.GREEN, 2)
    assert changelist(login(client, reviewer_x), Approval) == [
        red,
        amber,
        green_soon,
        green_later,
        supplement,
        pending,
        approved,
    ]


def test_filters_by_state_and_sla_colour_and_search_by_tracking_number(
    client, reviewer_x, department, other_department
):
    item = ServiceItemFactory(department=department)
    red = ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW, sla_colour=SlaColour.RED)
    green = ApprovalFactory(item=item, state=ApprovalState.PENDING)
    foreign = ApprovalFactory(
        item=ServiceItemFactory(department=other_department), sla_colour=SlaColour.RED
    )
    login(client, reviewer_x)
    assert changelist(client, Approval, sla_colour__exact=SlaColour.RED) == [red]
    assert changelist(client, Approval, state__exact=ApprovalState.PENDING) == [green]
    assert changelist(client, Approval, q=red.case.tracking_no) == [red]
    assert changelist(client, Approval, q=foreign.case.tracking_no) == []


def make_open_approvals(department, count: int) -> None:
    item = item_with_materials(department, "LEASE")
    for _ in range(count):
        ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW)


def test_forty_approvals_list_in_a_fixed_number_of_queries(
    client, reviewer_x, department, other_department, django_assert_max_num_queries
):
    make_open_approvals(other_department, 5)
    make_open_approvals(department, 3)
    url = admin_url(Approval, "changelist")
    login(client, reviewer_x).get(url)  # warm what a first request caches
    with CaptureQueriesContext(connection) as three_rows:
        assert len(client.get(url).context["cl"].result_list) == 3
    make_open_approvals(department, 37)
    with django_assert_max_num_queries(len(three_rows)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 40
    assert len(three_rows) <= 12, [query["sql"] for query in three_rows]


def test_approval_page_costs_the_same_with_many_materials_and_events(
    client, reviewer_x, department, django_assert_max_num_queries
):
    codes = [f"MAT_{n}" for n in range(12)]
    case = dispatched_case(item_with_materials(department, *codes))
    approval = Approval.objects.get(case=case)
    url = admin_url(approval, "change", approval.pk)
    uploaded(case, codes[0])
    login(client, reviewer_x).get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for code in codes[1:]:
        uploaded(case, code)
        CaseEvent.objects.create(case=case, approval=approval, kind=EventKind.NOTE, note=code)
    with django_assert_max_num_queries(len(few)):
        html = client.get(url).content.decode()
    assert html.count("/file/") == len(codes)


def test_case_material_factory_rows_without_files_show_a_dash(client, reviewer_x, department):
    case = dispatched_case(item_with_materials(department, "LEASE"))
    CaseMaterialFactory(case=case, material_type=MaterialTypeFactory(code="LEASE"))
    approval = Approval.objects.get(case=case)
    html = login(client, reviewer_x).get(admin_url(approval, "change", approval.pk)).content
    assert "缺少".encode() in html


def scoped_case_with_material(department) -> None:
    item = item_with_materials(department, "LEASE")
    case = CaseFactory(state=CaseState.IN_REVIEW, items=[item])
    ApprovalFactory(case=case, item=item, state=ApprovalState.IN_REVIEW)
    CaseMaterialFactory(case=case, material_type=MaterialTypeFactory(code="LEASE"))


@pytest.mark.parametrize("model", [Case, CaseMaterial], ids=lambda model: model.__name__)
def test_scoped_case_and_material_lists_cost_the_same_for_3_and_30_rows(
    client, reviewer_x, department, other_department, django_assert_max_num_queries, model
):
    scoped_case_with_material(other_department)
    url = admin_url(model, "changelist")
    for _ in range(3):
        scoped_case_with_material(department)
    login(client, reviewer_x).get(url)
    with CaptureQueriesContext(connection) as three_rows:
        assert len(client.get(url).context["cl"].result_list) == 3
    for _ in range(27):
        scoped_case_with_material(department)
    with django_assert_max_num_queries(len(three_rows)):
        assert len(client.get(url).context["cl"].result_list) == 30
