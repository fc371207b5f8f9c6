"""Cases in the admin: everything readable, no state moved, audit rows untouchable, numbers masked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.constants import (
    ApprovalState,
    CaseState,
    CertificateStatus,
    EventKind,
    MaterialStatus,
    RatingLevel,
    VerificationOutcome,
)
from cases.models import (
    Applicant,
    Approval,
    Case,
    CaseEvent,
    CaseMaterial,
    Delivery,
    NumberSequence,
    Rating,
    Verification,
    Visit,
)
from certificates.models import Certificate
from departments.identifiers import mask_id_number
from tests.departments.test_admin import ChangeFormData, admin_url
from tests.factories import (
    ApplicantFactory,
    ApprovalFactory,
    BundleFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    CertificateTypeFactory,
    DeliveryFactory,
    RegistryFactory,
    ServiceItemFactory,
    UserFactory,
    VisitFactory,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

RARE_NAME = "𠮷野花子"  # 𠮷 is outside the Basic Multilingual Plane: four bytes in UTF-8
FULL_ID_NUMBER = re.compile(r"(?<![0-9A-Z])[0-9]{17}[0-9X](?![0-9A-Z])")

VIEW_ONLY_MODELS = [
    CaseMaterial,
    Verification,
    CaseEvent,
    Rating,
    NumberSequence,
    Approval,
    Certificate,
]
NO_DELETE_MODELS = [
    Case,
    Approval,
    Certificate,
    CaseEvent,
    Verification,
    CaseMaterial,
    Rating,
    NumberSequence,
]


def make_verification(*, registry, requesting_department, **overrides) -> Verification:
    fields = {
        "registry": registry,
        "requesting_department": requesting_department,
        "subject_id": ApplicantFactory.build().id_number,
        "purpose": "办理食品经营许可核验身份",
        "outcome": VerificationOutcome.OK,
        "request_sha256": "a" * 64,
        "response_sha256": "b" * 64,
        **overrides,
    }
    return Verification.objects.create(**fields)


def make_event(**overrides) -> CaseEvent:
    fields = {
        "kind": EventKind.TRANSITION,
        "name": "dispatch",
        "from_state": "ACCEPTED",
        "to_state": "IN_REVIEW",
    }
    return CaseEvent.objects.create(**{**fields, **overrides})


@pytest.fixture
def admin_site_client(client, superuser):
    sign_in(client, superuser)
    return client


@pytest.fixture
def superuser_request(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


@pytest.fixture
def case_file(superuser, department):
    """One case with a row of every model hanging off it."""
    applicant = ApplicantFactory(name=RARE_NAME)
    item = ServiceItemFactory(department=department)
    case = CaseFactory(
        applicant=applicant, state=CaseState.IN_REVIEW, items=[item], bundle=BundleFactory()
    )
    approval = ApprovalFactory(case=case, item=item, state=ApprovalState.IN_REVIEW)
    verification = make_verification(
        registry=RegistryFactory(department=department),
        subject_id=applicant.id_number,
        applicant=applicant,
        case=case,
        requesting_department=department,
    )
    certificate = CertificateFactory(
        holder=applicant,
        case=case,
        approval=approval,
        certificate_type=CertificateTypeFactory(issuing_department=department),
    )
    material = CaseMaterialFactory(
        case=case,
        status=MaterialStatus.REUSED_CERTIFICATE,
        certificate=certificate,
        detail="已复用电子证照",
    )
    return {
        "applicant": applicant,
        "case": case,
        "approval": approval,
        "verification": verification,
        "certificate": certificate,
        "material": material,
        "delivery": DeliveryFactory(case=case),
        "visit": VisitFactory(case=case, clerk=superuser),
        "event": make_event(case=case, actor=superuser, actor_department=department),
        "rating": Rating.objects.create(case=case, level=RatingLevel.SATISFIED, comment="一次办好"),
        "sequence": NumberSequence.objects.create(name="certificate-test", value=3),
    }


ROW_KEYS = [
    "applicant",
    "case",
    "approval",
    "verification",
    "certificate",
    "material",
    "delivery",
    "visit",
    "event",
    "rating",
    "sequence",
]


def test_every_cases_model_is_registered():
    for model in apps.get_app_config("cases").get_models():
        assert admin.site.is_registered(model), model
    assert admin.site.is_registered(Certificate)  # moved to the certificates app


@pytest.mark.parametrize("key", ROW_KEYS)
def test_changelist_and_change_page_open(admin_site_client, case_file, key):
    instance = case_file[key]
    assert admin_site_client.get(admin_url(instance, "changelist")).status_code == 200
    assert admin_site_client.get(admin_url(instance, "change", instance.pk)).status_code == 200


@pytest.mark.parametrize(
    ("model", "status_code"), [(Applicant, 200), (Visit, 200), (Delivery, 403), (Case, 403)]
)
def test_add_page_opens_only_where_the_admin_may_create(admin_site_client, model, status_code):
    assert admin_site_client.get(admin_url(model, "add")).status_code == status_code


@pytest.mark.parametrize("key", ROW_KEYS)
def test_every_filter_choice_opens(admin_site_client, case_file, key):
    url = admin_url(case_file[key], "changelist")
    changelist = admin_site_client.get(url).context["cl"]
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            assert admin_site_client.get(url + choice["query_string"]).status_code == 200, choice


def test_case_date_hierarchy_drills_down(admin_site_client, case_file):
    created = timezone.localtime(case_file["case"].created_at)
    response = admin_site_client.get(
        admin_url(Case, "changelist"),
        {
            "created_at__year": created.year,
            "created_at__month": created.month,
            "created_at__day": created.day,
        },
    )
    assert list(response.context["cl"].result_list) == [case_file["case"]]


# --- search ---


def search(client, model, term: str) -> list:
    return list(client.get(admin_url(model, "changelist"), {"q": term}).context["cl"].result_list)


def test_case_search_by_tracking_number(admin_site_client, case_file):
    case = case_file["case"]
    CaseFactory()
    assert search(admin_site_client, Case, case.tracking_no) == [case]
    assert search(admin_site_client, Case, case.tracking_no.lower()) == [case]


def test_case_search_by_exact_applicant_id_number(admin_site_client, case_file):
    case = case_file["case"]
    CaseFactory()
    assert search(admin_site_client, Case, case.applicant.id_number) == [case]
    assert search(admin_site_client, Case, case.applicant.id_number[:10]) == []


def test_applicant_search_by_exact_id_number_and_by_name(admin_site_client, case_file):
    applicant = case_file["applicant"]
    ApplicantFactory(name="李四")
    assert search(admin_site_client, Applicant, applicant.id_number) == [applicant]
    assert search(admin_site_client, Applicant, applicant.id_number[:10]) == []
    assert search(admin_site_client, Applicant, "𠮷野") == [applicant]


def test_approval_search_by_case_tracking_number(admin_site_client, case_file):
    ApprovalFactory()
    assert search(admin_site_client, Approval, case_file["case"].tracking_no) == [
        case_file["approval"]
    ]


def test_approval_filters_by_state_and_department(admin_site_client, case_file, other_department):
    approval = case_file["approval"]
    ApprovalFactory(item=ServiceItemFactory(department=other_department))
    url = admin_url(Approval, "changelist")
    by_state = admin_site_client.get(url, {"state__exact": ApprovalState.IN_REVIEW}).context["cl"]
    by_department = admin_site_client.get(
        url, {"department__id__exact": approval.department_id}
    ).context["cl"]
    assert list(by_state.result_list) == [approval]
    assert list(by_department.result_list) == [approval]


# --- state is never changed here ---


def test_case_form_has_no_state_input(admin_site_client, case_file):
    case = case_file["case"]
    html = admin_site_client.get(admin_url(case, "change", case.pk)).content.decode()
    assert 'name="state"' not in html
    assert "审批中" in html  # shown, read-only


def test_posting_a_case_with_another_state_changes_nothing_but_records_the_visit(
    admin_site_client, case_file
):
    case = case_file["case"]
    before = Case.objects.get(pk=case.pk)
    url = admin_url(case, "change", case.pk)
    data = ChangeFormData(admin_site_client.get(url).content.decode()).data
    data.update(
        {
            "state": [CaseState.CLOSED],
            "due_date": ["2030-01-01"],
            "visits-TOTAL_FORMS": ["2"],
            "visits-1-id": [""],
            "visits-1-case": [str(case.pk)],
            "visits-1-created_at_0": ["2025-03-04"],
            "visits-1-created_at_1": ["10:00:00"],
            "visits-1-reason": ["supplement"],
            "visits-1-note": ["补交租赁合同"],
            "visits-1-clerk": [""],
        }
    )
    response = admin_site_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    after = Case.objects.get(pk=case.pk)
    assert after.state == CaseState.IN_REVIEW
    assert (after.due_date, after.updated_at) == (before.due_date, before.updated_at)
    assert case.visits.filter(note="补交租赁合同").exists()
    assert case.approvals.get().state == ApprovalState.IN_REVIEW


@pytest.mark.parametrize(
    ("key", "field", "other_value"),
    [
        ("approval", "state", ApprovalState.APPROVED),
        ("certificate", "status", CertificateStatus.REVOKED),
    ],
)
def test_posting_an_approval_or_certificate_is_refused(
    admin_site_client, case_file, key, field, other_value
):
    instance = case_file[key]
    before = getattr(instance, field)
    url = admin_url(instance, "change", instance.pk)
    assert f'name="{field}"' not in admin_site_client.get(url).content.decode()
    response = admin_site_client.post(url, {field: other_value})
    assert response.status_code == 403
    instance.refresh_from_db()
    assert getattr(instance, field) == before


def test_delivery_address_may_be_corrected_but_not_its_status(admin_site_client, case_file):
    delivery = case_file["delivery"]
    url = admin_url(delivery, "change", delivery.pk)
    data = ChangeFormData(admin_site_client.get(url).content.decode()).data
    data.update({"recipient": ["𠮷野花子"], "status": ["delivered"], "signed_by": ["本人"]})
    response = admin_site_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    delivery.refresh_from_db()
    assert (delivery.recipient, delivery.status, delivery.signed_by) == ("𠮷野花子", "created", "")


@pytest.mark.parametrize("model", [Case, Approval, Certificate])
def test_workflow_rows_cannot_be_added_here(superuser_request, model):
    assert not admin.site.get_model_admin(model).has_add_permission(superuser_request)


@pytest.mark.parametrize("model", VIEW_ONLY_MODELS)
def test_view_only_models_cannot_be_changed(superuser_request, model):
    model_admin = admin.site.get_model_admin(model)
    assert not model_admin.has_change_permission(superuser_request)
    assert model_admin.has_view_permission(superuser_request)


def test_case_and_approval_state_fields_are_read_only(superuser_request, case_file):
    for key, field in [("case", "state"), ("approval", "state"), ("certificate", "status")]:
        instance = case_file[key]
        assert field in admin.site.get_model_admin(type(instance)).get_readonly_fields(
            superuser_request, instance
        )


# --- audit rows and deletion ---


@pytest.mark.parametrize("model", [CaseEvent, Verification])
def test_audit_rows_have_no_add_change_or_delete_permission_even_for_superusers(
    superuser_request, case_file, model
):
    model_admin = admin.site.get_model_admin(model)
    row = model.objects.first()
    assert superuser_request.user.is_superuser
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request, row)
    assert not model_admin.has_delete_permission(superuser_request, row)


@pytest.mark.parametrize("key", ["event", "verification"])
def test_audit_rows_refuse_add_change_and_delete_requests(admin_site_client, case_file, key):
    row = case_file[key]
    assert admin_site_client.get(admin_url(row, "add")).status_code == 403
    assert (
        admin_site_client.post(admin_url(row, "change", row.pk), {"note": "改写"}).status_code
        == 403
    )
    assert admin_site_client.get(admin_url(row, "delete", row.pk)).status_code == 403
    assert (
        admin_site_client.post(admin_url(row, "delete", row.pk), {"post": "yes"}).status_code == 403
    )
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", NO_DELETE_MODELS)
def test_no_delete_action_on_workflow_and_audit_models(superuser_request, model):
    model_admin = admin.site.get_model_admin(model)
    assert "delete_selected" not in model_admin.get_actions(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)


@pytest.mark.parametrize("key", ["case", "approval", "certificate"])
def test_workflow_rows_refuse_delete_requests(admin_site_client, case_file, key):
    row = case_file[key]
    assert (
        admin_site_client.post(admin_url(row, "delete", row.pk), {"post": "yes"}).status_code == 403
    )
    assert type(row).objects.filter(pk=row.pk).exists()


def test_delete_selected_posted_anyway_deletes_no_case(admin_site_client, case_file):
    case = case_file["case"]
    response = admin_site_client.post(
        admin_url(Case, "changelist"),
        {"action": "delete_selected", "_selected_action": [case.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Case.objects.filter(pk=case.pk).exists()


# --- personal numbers and names ---


def test_applicant_list_masks_the_id_number_and_keeps_rare_names_whole(
    admin_site_client, case_file
):
    applicant = case_file["applicant"]
    html = admin_site_client.get(admin_url(Applicant, "changelist")).content.decode()
    assert applicant.id_number not in html
    assert not FULL_ID_NUMBER.search(html)
    assert mask_id_number(applicant.id_number) in html
    assert RARE_NAME in html
    assert applicant.phone not in html


def test_applicant_page_shows_the_full_number(admin_site_client, case_file):
    applicant = case_file["applicant"]
    html = admin_site_client.get(admin_url(applicant, "change", applicant.pk)).content.decode()
    assert applicant.id_number in html
    assert RARE_NAME in html


@pytest.mark.parametrize(
    "model", [Case, Certificate, Verification, CaseEvent, CaseMaterial, Approval, Delivery]
)
def test_lists_never_show_a_full_id_number(admin_site_client, case_file, model):
    html = admin_site_client.get(admin_url(model, "changelist")).content.decode()
    assert case_file["applicant"].id_number not in html


def test_case_list_shows_the_rare_name_and_the_masked_number(admin_site_client, case_file):
    html = admin_site_client.get(admin_url(Case, "changelist")).content.decode()
    assert f"{RARE_NAME} ({mask_id_number(case_file['applicant'].id_number)})" in html


def test_applicant_identity_is_fixed_once_created(admin_site_client, case_file):
    applicant = case_file["applicant"]
    url = admin_url(applicant, "change", applicant.pk)
    data = ChangeFormData(admin_site_client.get(url).content.decode()).data
    data.update({"id_number": [ApplicantFactory.build().id_number], "phone": ["13900139000"]})
    response = admin_site_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    fresh = Applicant.objects.get(pk=applicant.pk)
    assert (fresh.id_number, fresh.phone, fresh.name) == (
        applicant.id_number,
        "13900139000",
        RARE_NAME,
    )


# --- the case page ---


def test_case_page_shows_the_timeline_in_time_order(admin_site_client, case_file, superuser):
    case = case_file["case"]
    now = timezone.now()
    make_event(case=case, name="accept", note="第二步受理", created_at=now - dt.timedelta(hours=1))
    make_event(case=case, name="submit", note="第一步提交", created_at=now - dt.timedelta(hours=2))
    html = admin_site_client.get(admin_url(case, "change", case.pk)).content.decode()
    assert html.index("第一步提交") < html.index("第二步受理")


def test_case_page_shows_approvals_and_materials_read_only(admin_site_client, case_file):
    case = case_file["case"]
    response = admin_site_client.get(admin_url(case, "change", case.pk))
    html = response.content.decode()
    assert "已复用电子证照" in html
    assert 'name="approvals-0-state"' not in html
    assert 'name="materials-0-status"' not in html
    assert 'name="events-0-note"' not in html
    assert 'name="visits-0-reason"' in html  # visits are recorded here


# --- lists cost the same for 3 rows and for 30 ---


def assert_changelist_queries_do_not_grow(
    client, model, make_row, django_assert_max_num_queries
) -> None:
    url = admin_url(model, "changelist")
    for _ in range(3):
        make_row()
    client.get(url)  # warm what a first request caches
    with CaptureQueriesContext(connection) as three_rows:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3
    for _ in range(27):
        make_row()
    with django_assert_max_num_queries(len(three_rows)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 30


# Rows share one department (the factories' department codes run out after A..ZZ); a list
# that reads a related object without joining it still costs one query per row.
ROW_MAKERS = {
    Case: lambda department: CaseFactory(bundle=BundleFactory(), created_by=UserFactory()),
    Approval: lambda department: ApprovalFactory(item=ServiceItemFactory(department=department)),
    Applicant: lambda department: ApplicantFactory(),
    Certificate: lambda department: CertificateFactory(
        case=CaseFactory(), certificate_type=CertificateTypeFactory(issuing_department=department)
    ),
    CaseMaterial: lambda department: CaseMaterialFactory(),
    Verification: lambda department: make_verification(
        registry=RegistryFactory(department=department),
        requesting_department=department,
        case=CaseFactory(),
        requested_by=UserFactory(),
    ),
    CaseEvent: lambda department: make_event(
        case=CaseFactory(), actor=UserFactory(), actor_department=department
    ),
    Delivery: lambda department: DeliveryFactory(),
    Visit: lambda department: VisitFactory(clerk=UserFactory()),
    Rating: lambda department: Rating.objects.create(
        case=CaseFactory(), level=RatingLevel.VERY_SATISFIED
    ),
}


@pytest.mark.parametrize("model", list(ROW_MAKERS), ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_site_client, department, django_assert_max_num_queries, model
):
    assert_changelist_queries_do_not_grow(
        admin_site_client,
        model,
        lambda: ROW_MAKERS[model](department),
        django_assert_max_num_queries,
    )
