"""Issue 19 point 3: what is certified is the registry's, and a change to it is the
reviewer's to judge.

The attack, replayed through the real window pages and the API: a clerk types another
company name over the one the legal-person registry holds. Without a reason nothing is
written; with one the change is recorded, the items (decided automatically before)
wait for a reviewer who sees the change at the top of the page, and the certificates
issued after the approval carry the registry's name, in their stored data and in their
PDF text. An intake that keeps the prefill is still decided automatically.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.constants import ApprovalState, CaseState, Channel
from cases.models import Applicant, Approval, Case, CaseEvent
from cases.selectors.overrides import case_registry_overrides
from cases.services.intake import case_form_update, intake_start
from cases.services.overrides import OVERRIDE_REASON_MAX_LENGTH
from certificates.models import Certificate
from departments.constants import RegistryKind, Role
from departments.models import Department
from tests.cases.override_catalogue import (
    REASON,
    REGISTRY_ADDRESS,
    REGISTRY_NAME,
    REGISTRY_REPRESENTATIVE,
    TYPED_NAME,
    build_override_catalogue,
    pdf_text,
)
from tests.factories import (
    RegistryFactory,
    RegistryRecordFactory,
    SharingAgreementFactory,
    StaffFactory,
    resident_id,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return build_override_catalogue()


@pytest.fixture
def window(client, clerk):
    return sign_in(client, clerk)


def _intake(window, catalogue, *, key="one", **data):
    form = {
        "id_type": "uscc",
        "id_number": catalogue.company_id,
        "channel": "window",
        "applicant_present": "on",
        "items": catalogue.items,
        "bundle": "",
        "idempotency_key": f"override-{key}",
    }
    form.update(data)
    return window.post("/window/intake/", form)


def _nothing_written():
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not Applicant.objects.exists()


def _submit(window, case, capture):
    with capture(execute=True):
        response = window.post(f"/window/cases/{case.tracking_no}/submit/")
    assert response.status_code == 302
    return Case.objects.get(pk=case.pk)


# --- without a reason, nothing --------------------------------------------------------


def test_a_typed_name_without_a_reason_opens_no_case(window, catalogue):
    response = _intake(window, catalogue, name=TYPED_NAME)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "与共享数据登记的不一致" in " ".join(errors["name"])
    assert "改动理由" in " ".join(errors["name"])
    _nothing_written()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (" \u3000 ", "不能只有空格"),
        ("理" * (OVERRIDE_REASON_MAX_LENGTH + 1), str(OVERRIDE_REASON_MAX_LENGTH)),
    ],
    ids=["only-spaces", "too-long"],
)
def test_a_blank_or_overlong_reason_is_refused_at_its_field(window, catalogue, reason, message):
    response = _intake(window, catalogue, name=TYPED_NAME, override_reason=reason)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["override_reason"])
    _nothing_written()


def test_the_checklist_page_refuses_a_change_without_a_reason(window, catalogue):
    _intake(window, catalogue)
    case = Case.objects.get()
    events_before = case.events.count()
    response = window.post(
        f"/window/cases/{case.tracking_no}/applicant/",
        {"name": TYPED_NAME, "phone": "", "address": REGISTRY_ADDRESS},
    )
    assert response.status_code == 200
    assert "与共享数据登记的不一致" in " ".join(response.context["applicant_form"].errors["name"])
    assert Applicant.objects.get().name == REGISTRY_NAME
    assert case.events.count() == events_before


def test_a_prefilled_form_field_is_not_changed_without_a_reason(window, catalogue):
    _intake(window, catalogue)
    case = Case.objects.get()
    response = window.post(
        f"/window/cases/{case.tracking_no}/forms/",
        {"A003__company_name": TYPED_NAME, "A003__shop_sign": "蓉城味道", "A007__shop_sign": "x"},
    )
    assert response.status_code == 200
    assert response.context["form_error"]["field"] == "A003__company_name"
    html = response.content.decode()
    assert "与共享数据登记的不一致" in html and f'value="{TYPED_NAME}"' in html
    case.refresh_from_db()
    # Neither the changed field nor the others of the same save were written.
    assert case.form_data["A003"] == {"company_name": REGISTRY_NAME, "shop_sign": ""}
    assert case.form_data["A007"]["shop_sign"] == ""
    assert not case.events.filter(name="registry_override").exists()


def test_an_online_applicant_cannot_change_a_prefilled_field_without_a_reason(catalogue):
    case = intake_start(
        id_type="uscc",
        id_number=catalogue.company_id,
        item_codes=catalogue.items,
        channel=Channel.ONLINE,
        idempotency_key="online-1",
        applicant_present=False,
    ).case
    with pytest.raises(Exception, match="与共享数据登记的不一致"):
        case_form_update(case=case, item_code="A003", values={"company_name": TYPED_NAME})
    case.refresh_from_db()
    assert case.form_data["A003"]["company_name"] == REGISTRY_NAME
    # An unguarded field changes as before.
    case_form_update(case=case, item_code="A003", values={"shop_sign": "蓉城味道"})
    case.refresh_from_db()
    assert case.form_data["A003"]["shop_sign"] == "蓉城味道"


# --- the attack replayed: with a reason, recorded, reviewed, the registry's name certified ---


def test_the_attack_through_the_window_is_recorded_reviewed_and_certified_by_the_registry(
    window, client, catalogue, clerk, django_capture_on_commit_callbacks
):
    response = _intake(window, catalogue, name=TYPED_NAME, override_reason=REASON)
    assert response.status_code == 302
    case = Case.objects.get()
    event = CaseEvent.objects.get(case=case, name="registry_override")
    assert event.data["field"] == "name"
    assert event.data["registry"] == "LEGAL_PERSON"
    assert event.data["registry_value"] == REGISTRY_NAME
    assert event.data["typed_value"] == TYPED_NAME
    assert event.data["reason"] == REASON
    assert event.data["verification"] is not None
    assert event.actor == clerk and not event.is_public
    # The typed name stands on the application (the reason was given), the registry's
    # stays on file for the certificate.
    assert Applicant.objects.get().name == TYPED_NAME
    assert case.registry_prefill["applicant"]["name"] == REGISTRY_NAME

    # The window shows the change it made.
    html = window.get(f"/window/cases/{case.tracking_no}/").content.decode()
    assert 'id="registry-overrides"' in html
    assert REGISTRY_NAME in html and TYPED_NAME in html and REASON in html

    case = _submit(window, case, django_capture_on_commit_callbacks)
    assert case.state == CaseState.IN_REVIEW
    approvals = list(Approval.objects.filter(case=case).order_by("item__code"))
    # Both items allow 秒批 and every check passed: each waits for a reviewer instead.
    assert [approval.state for approval in approvals] == [ApprovalState.IN_REVIEW] * 2
    assert all(check["passed"] for approval in approvals for check in approval.checks)
    assert not any(approval.is_auto_decided for approval in approvals)
    assert not Certificate.objects.exists()
    start = CaseEvent.objects.get(approval=approvals[0], name="start_review")
    assert "改动了共享数据登记的申请人信息" in start.note

    # The reviewer sees the change at the top of the approval, in full.
    reviewer = catalogue.reviewer
    sign_in(client, reviewer)
    change_url = reverse("admin:cases_approval_change", args=[approvals[0].pk])
    page = client.get(change_url).content.decode()
    assert "注意：受理时改动了共享数据登记的信息" in page
    assert page.index('id="registry-overrides"') < page.index('id="approval-checks"')
    assert REGISTRY_NAME in page and TYPED_NAME in page and REASON in page
    listing = client.get(reverse("admin:cases_approval_changelist")).content.decode()
    assert "icon-yes.svg" in listing  # the 改动共享数据 column
    case_page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert 'id="registry-overrides"' in case_page and REASON in case_page

    with django_capture_on_commit_callbacks(execute=True):
        for approval in approvals:
            client.post(
                reverse("admin:cases_approval_decide", args=[approval.pk]),
                {
                    "decision": "approve",
                    "note": "已核对名称变更核准通知书",
                    "seen_state": "IN_REVIEW",
                },
            )
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    certificates = list(Certificate.objects.filter(case=case).order_by("number"))
    assert len(certificates) == 2
    for certificate in certificates:
        assert certificate.data["holder_name"] == REGISTRY_NAME
        assert certificate.data["legal_representative"] == REGISTRY_REPRESENTATIVE
        assert certificate.data["holder_verified_by"]["registry"] == "LEGAL_PERSON"
        text = pdf_text(certificate)
        assert REGISTRY_NAME in text and TYPED_NAME not in text
        assert REGISTRY_REPRESENTATIVE in text


def test_a_change_on_the_checklist_page_with_a_reason_is_recorded_and_reviewed(
    window, catalogue, django_capture_on_commit_callbacks
):
    _intake(window, catalogue)
    case = Case.objects.get()
    response = window.post(
        f"/window/cases/{case.tracking_no}/applicant/",
        {
            "name": TYPED_NAME,
            "phone": "",
            "address": "成都市武侯区人民南路四段",
            "override_reason": REASON,
        },
    )
    assert response.status_code == 302
    changes = {
        event.data["field"]: event.data
        for event in CaseEvent.objects.filter(case=case, name="registry_override")
    }
    assert set(changes) == {"name", "address"}
    assert changes["address"]["registry_value"] == REGISTRY_ADDRESS
    # The legal representative is not on the page's form: left as the registry gave it.
    assert Applicant.objects.get().legal_representative == REGISTRY_REPRESENTATIVE
    case = _submit(window, case, django_capture_on_commit_callbacks)
    assert set(Approval.objects.filter(case=case).values_list("state", flat=True)) == {
        ApprovalState.IN_REVIEW
    }


def test_a_form_field_changed_with_a_reason_holds_the_case_for_a_reviewer(
    window, catalogue, django_capture_on_commit_callbacks
):
    _intake(window, catalogue)
    case = Case.objects.get()
    window.post(
        f"/window/cases/{case.tracking_no}/forms/",
        {"A003__company_name": TYPED_NAME, "override_reason": REASON},
    )
    event = CaseEvent.objects.get(case=case, name="registry_override")
    assert (event.data["item"], event.data["field"], event.data["typed_value"]) == (
        "A003",
        "company_name",
        TYPED_NAME,
    )
    case = _submit(window, case, django_capture_on_commit_callbacks)
    assert case.state == CaseState.IN_REVIEW
    assert not Certificate.objects.exists()


def test_an_unchanged_prefill_is_still_decided_automatically(
    window, catalogue, django_capture_on_commit_callbacks
):
    # Typing exactly the registry's name is no change either.
    _intake(window, catalogue, name=REGISTRY_NAME)
    case = _submit(window, Case.objects.get(), django_capture_on_commit_callbacks)
    assert case.state == CaseState.APPROVED
    assert not CaseEvent.objects.filter(name="registry_override").exists()
    assert all(approval.is_auto_decided for approval in Approval.objects.filter(case=case))
    certificate = Certificate.objects.filter(case=case).first()
    assert certificate.data["holder_name"] == REGISTRY_NAME
    assert REGISTRY_NAME in pdf_text(certificate)


def test_a_name_left_by_an_earlier_case_gives_way_to_the_registry(
    window, catalogue, django_capture_on_commit_callbacks
):
    """An override belongs to its case: the next case starts from the registry again."""
    _intake(window, catalogue, key="first", name=TYPED_NAME, override_reason=REASON)
    assert Applicant.objects.get().name == TYPED_NAME
    _intake(window, catalogue, key="second")
    second = Case.objects.get(idempotency_key="override-second")
    assert Applicant.objects.get().name == REGISTRY_NAME
    second = _submit(window, second, django_capture_on_commit_callbacks)
    assert second.state == CaseState.APPROVED


def test_a_registry_name_differing_at_the_checks_holds_the_item_and_is_certified(
    window, catalogue, django_capture_on_commit_callbacks
):
    """The approval's own registry read names the company: when the applicant on file
    says otherwise (changed behind the window's back), a reviewer decides, and the
    certificate carries what the registry said in that check."""
    _intake(window, catalogue)
    case = Case.objects.get()
    Applicant.objects.update(name=TYPED_NAME)
    case = _submit(window, case, django_capture_on_commit_callbacks)
    approval = Approval.objects.filter(case=case).order_by("item__code").first()
    assert approval.state == ApprovalState.IN_REVIEW
    subject = next(check["subject"] for check in approval.checks if check.get("subject"))
    assert subject["name"] == REGISTRY_NAME
    assert "与法人单位基础信息库登记的不一致" in (
        CaseEvent.objects.get(approval=approval, name="start_review").note
    )


# --- the same through the API ---------------------------------------------------------


@pytest.fixture
def api(clerk):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    return client


def _create(api, catalogue, **applicant):
    return api.post(
        "/api/v1/cases/",
        {
            "applicant": {"id_type": "uscc", "id_number": catalogue.company_id, **applicant},
            "items": catalogue.items,
            "channel": "window",
        },
        format="json",
    )


@pytest.mark.parametrize(
    ("applicant", "field", "message"),
    [
        ({"name": TYPED_NAME}, "name", "与共享数据登记的不一致"),
        ({"address": "成都市武侯区人民南路四段"}, "address", "与共享数据登记的不一致"),
        ({"name": TYPED_NAME, "override_reason": "   "}, "override_reason", "不能只有空格"),
        (
            {"name": TYPED_NAME, "override_reason": "理" * (OVERRIDE_REASON_MAX_LENGTH + 1)},
            "override_reason",
            str(OVERRIDE_REASON_MAX_LENGTH),
        ),
    ],
    ids=["name", "address", "only-spaces", "too-long"],
)
def test_the_api_refuses_a_change_without_a_usable_reason(
    api, catalogue, applicant, field, message
):
    response = _create(api, catalogue, **applicant)
    assert response.status_code == 400, response.json()
    assert message in " ".join(response.json()["applicant"][field])
    _nothing_written()


def test_the_attack_through_the_api_is_recorded_reviewed_and_certified_by_the_registry(
    api, catalogue, django_capture_on_commit_callbacks
):
    response = _create(api, catalogue, name=TYPED_NAME, override_reason=f"  {REASON}  ")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(tracking_no=response.json()["tracking_no"])
    event = CaseEvent.objects.get(case=case, name="registry_override")
    assert (event.data["registry_value"], event.data["typed_value"], event.data["reason"]) == (
        REGISTRY_NAME,
        TYPED_NAME,
        REASON,
    )
    with django_capture_on_commit_callbacks(execute=True):
        submitted = api.post(f"/api/v1/cases/{case.tracking_no}/submit/", {}, format="json")
    assert submitted.json()["state"] == CaseState.IN_REVIEW

    system = StaffFactory(
        username="system_a_override",
        role=Role.DEPARTMENT_SYSTEM,
        department=catalogue.market,
        is_staff=False,
    )
    department_api = APIClient()
    department_api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=system).key}")
    rows = department_api.get("/api/v1/approvals/", {"state": "IN_REVIEW"}).json()["results"]
    assert len(rows) == 2
    for row in rows:
        (override,) = row["registry_overrides"]
        assert override["field"] == "name"
        assert override["registry_value"] == REGISTRY_NAME
        assert override["typed_value"] == TYPED_NAME
        assert override["reason"] == REASON
    with django_capture_on_commit_callbacks(execute=True):
        for row in rows:
            decided = department_api.post(
                f"/api/v1/approvals/{row['id']}/decision/",
                {"decision": "approve", "note": "已核对名称变更核准通知书"},
                format="json",
            )
            assert decided.status_code == 200, decided.json()
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    certificates = Certificate.objects.filter(case=case)
    assert certificates.count() == 2
    for certificate in certificates:
        assert certificate.data["holder_name"] == REGISTRY_NAME
        text = pdf_text(certificate)
        assert REGISTRY_NAME in text and TYPED_NAME not in text


def test_a_supervisor_reads_a_persons_override_masked(catalogue, superuser):
    """Values of personal data are masked for readers who need not see them in full."""
    population = RegistryFactory(code="POPULATION", kind=RegistryKind.POPULATION)
    SharingAgreementFactory(consumer=Department.objects.get(code="O"), registry=population)
    person = resident_id(77)
    RegistryRecordFactory(
        registry=population,
        subject_id=person,
        data={"name": "王小明", "address": "成都市青羊区文翁路1号"},
    )
    case = intake_start(
        id_type="resident_id",
        id_number=person,
        item_codes=["A003"],
        name="王晓明",
        override_reason="身份证上的名字与户籍一致，申请人坚持用常用名",
        user=StaffFactory(username="clerk_masked", role=Role.CLERK),
    ).case
    (masked,) = case_registry_overrides(case=case, in_full=False)
    assert (masked["registry_value"], masked["typed_value"]) == ("王*明", "王*明")
    (full,) = case_registry_overrides(case=case, in_full=True)
    assert (full["registry_value"], full["typed_value"]) == ("王小明", "王晓明")
    note = CaseEvent.objects.get(case=case, name="registry_override").note
    assert "王小明" not in note and "王晓明" not in note and "王*明" in note
