"""Apply online from the personal space ("zero visits"), on the window's intake service.

The demo catalogue is loaded: the second-child permit goes through from the ID number
alone; a company opening a restaurant is asked only for what the government does not
hold; a missing material gives the one-time list, answered online later.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.constants import ApplicantKind, CaseState, Channel, IdType, MaterialStatus
from cases.models import Case, CaseEvent, CaseMaterial, Verification, Visit
from departments.models import MaterialType, RegistryRecord
from departments.services.demo import demo_load
from tests.citizens.conftest import sign_in_as
from tests.factories import ApplicantFactory, CaseFactory

PDF = b"%PDF-1.7\n% a scan\n"
ONLINE_LABEL = "申请人本人（网上）"


@pytest.fixture
def demo(db):
    demo_load(force=True)


@pytest.fixture
def parent(demo):
    """A married person in the population registry, with a registered phone."""
    record = (
        RegistryRecord.objects.filter(registry__code="POPULATION", data__marital_status="已婚")
        .exclude(data__spouse_id="")
        .order_by("subject_id")
        .first()
    )
    return ApplicantFactory(
        kind=ApplicantKind.PERSON,
        id_type=IdType.RESIDENT_ID,
        id_number=record.subject_id,
        name="",
        phone=record.data.get("phone") or "13800138000",
        address="",
    ), record


@pytest.fixture
def company(demo):
    record = (
        RegistryRecord.objects.filter(registry__code="LEGAL_PERSON", data__status="存续")
        .order_by("subject_id")
        .first()
    )
    return ApplicantFactory(
        kind=ApplicantKind.ORGANISATION,
        id_type=IdType.USCC,
        id_number=record.subject_id,
        name=record.data["name"],
    )


def _start(client, **choice):
    data = {"idempotency_key": str(uuid.uuid4()), **choice}
    return client.post(reverse("citizens:apply"), data), data


def _submit(client, case, key=None):
    return client.post(
        reverse("citizens:apply_submit", args=[case.tracking_no]),
        {"submit_key": key or str(uuid.uuid4())},
    )


def _upload(client, case, code, content=PDF, name="scan.pdf"):
    return client.post(
        reverse("citizens:apply_upload", args=[case.tracking_no]),
        {"material_type": code, "file": SimpleUploadedFile(name, content)},
    )


def test_a_person_gets_the_second_child_permit_with_zero_visits(client, parent):
    applicant, record = parent
    sign_in_as(client, applicant)
    response, sent = _start(client, bundle="SECOND_CHILD_PERMIT")
    case = Case.objects.get(applicant=applicant)
    assert response.status_code == 302
    assert response.url == reverse("citizens:apply_case", args=[case.tracking_no])
    assert case.channel == Channel.ONLINE and case.created_by is None

    page = client.get(response.url)
    assert page.status_code == 200
    # The form is filled from the ID number alone, and nothing is to be handed over.
    filled = case.__class__.objects.get(pk=case.pk).form_data["I002"]
    assert filled["spouse_name"] == record.data["spouse_name"]
    assert record.data["spouse_name"] in page.content.decode()
    rows = page.context["rows"]
    assert rows and {row["status"] for row in rows} == {MaterialStatus.VERIFIED}
    assert not any(row["can_upload"] for row in rows)
    assert "已从政府部门数据库核实，无需提交" in page.content.decode()
    # Every read was made as the item's department (卫生健康委员会, code I), never the window's.
    reads = Verification.objects.filter(case=case)
    assert reads and {read.requesting_department.code for read in reads} == {"I"}

    # The same form sent again is the same case.
    again = client.post(reverse("citizens:apply"), sent)
    assert again.url == response.url and Case.objects.filter(applicant=applicant).count() == 1

    submitted = _submit(client, case)
    case.refresh_from_db()
    assert submitted.status_code == 302
    assert submitted.url == reverse("citizens:me_case", args=[case.tracking_no])
    assert case.state not in (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS)
    assert case.accepted_at is not None
    assert not Visit.objects.filter(case=case).exists()
    labels = set(
        CaseEvent.objects.filter(case=case, name__in=["submit", "accept"]).values_list(
            "actor_label", flat=True
        )
    )
    assert labels == {ONLINE_LABEL}
    assert not CaseEvent.objects.filter(case=case, actor__isnull=False).exists()
    detail = client.get(submitted.url).content.decode()
    assert "本件您到现场 0 次" in detail


def test_a_double_clicked_submit_submits_once(client, company):
    sign_in_as(client, company)
    _start(client, bundle="OPEN_RESTAURANT")
    case = Case.objects.get(applicant=company)
    key = str(uuid.uuid4())
    first = _submit(client, case, key)
    second = _submit(client, case, key)
    case.refresh_from_db()
    assert first.status_code == second.status_code == 302
    assert case.state == CaseState.PENDING_MATERIALS
    assert CaseEvent.objects.filter(case=case, name="request_materials").count() == 1
    assert CaseEvent.objects.filter(case=case, name="submit").count() == 1


def test_a_company_opening_a_restaurant_uploads_only_what_is_not_on_file(client, company):
    # A lease handed over in an earlier case this year is reused, not asked again.
    earlier = CaseFactory(applicant=company, state=CaseState.CLOSED)
    lease = CaseMaterial.objects.create(
        case=earlier,
        material_type=MaterialType.objects.get(code="LEASE_CONTRACT"),
        status=MaterialStatus.UPLOADED,
        sha256="0" * 64,
    )
    CaseMaterial.objects.filter(pk=lease.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=30)
    )
    sign_in_as(client, company)
    response, _sent = _start(client, bundle="OPEN_RESTAURANT")
    case = Case.objects.get(applicant=company, bundle__code="OPEN_RESTAURANT")
    rows = {row["code"]: row for row in client.get(response.url).context["rows"]}
    assert rows["BUSINESS_LICENCE"]["status"] == MaterialStatus.VERIFIED
    assert rows["NAME_APPROVAL"]["status"] == MaterialStatus.PRODUCED_IN_CASE
    assert rows["LEASE_CONTRACT"]["status"] == MaterialStatus.REUSED_MATERIAL
    assert earlier.tracking_no in rows["LEASE_CONTRACT"]["detail"]
    for code in ("BUSINESS_LICENCE", "NAME_APPROVAL", "LEASE_CONTRACT"):
        assert not rows[code]["can_upload"], code
    to_upload = [code for code, row in rows.items() if row["is_missing"]]
    assert to_upload and not {"BUSINESS_LICENCE", "NAME_APPROVAL", "LEASE_CONTRACT"} & set(
        to_upload
    )

    # The same upload checks as the window: the content decides, not the name.
    refused = _upload(client, case, to_upload[0], content=b"MZ not a scan", name="scan.pdf")
    assert refused.status_code == 400
    assert "只接受 PDF、JPEG 或 PNG" in refused.content.decode()
    assert not CaseMaterial.objects.filter(case=case, status=MaterialStatus.UPLOADED).exists()

    for code in to_upload:
        assert _upload(client, case, code).status_code == 302
    uploaded = CaseMaterial.objects.filter(case=case, status=MaterialStatus.UPLOADED)
    assert set(uploaded.values_list("material_type__code", flat=True)) == set(to_upload)
    assert set(
        CaseEvent.objects.filter(case=case, name="material_upload").values_list(
            "actor_label", flat=True
        )
    ) == {ONLINE_LABEL}

    submitted = _submit(client, case)
    case.refresh_from_db()
    assert submitted.url == reverse("citizens:me_case", args=[case.tracking_no])
    assert case.accepted_at is not None and case.state != CaseState.PENDING_MATERIALS
    assert not Visit.objects.filter(case=case).exists()


def test_declined_evidence_is_uploaded_as_paper_instead(client, company):
    sign_in_as(client, company)
    response, _sent = _start(client, bundle="OPEN_RESTAURANT")
    case = Case.objects.get(applicant=company)
    declined = client.post(
        reverse("citizens:apply_decline", args=[case.tracking_no, "BUSINESS_LICENCE"])
    )
    assert declined.status_code == 302
    rows = {row["code"]: row for row in client.get(response.url).context["rows"]}
    assert rows["BUSINESS_LICENCE"]["is_missing"] and rows["BUSINESS_LICENCE"]["can_upload"]
    assert rows["BUSINESS_LICENCE"]["declined"]
    assert _upload(client, case, "BUSINESS_LICENCE").status_code == 302
    material = CaseMaterial.objects.get(case=case, material_type__code="BUSINESS_LICENCE")
    assert material.status == MaterialStatus.UPLOADED and material.evidence_declined


def test_missing_materials_give_the_one_time_list_answered_online_later(client, company):
    sign_in_as(client, company)
    response, _sent = _start(client, bundle="OPEN_RESTAURANT")
    case = Case.objects.get(applicant=company)
    missing = [row["code"] for row in client.get(response.url).context["rows"] if row["is_missing"]]
    # Everything but one is handed in, then submitted.
    for code in missing[1:]:
        _upload(client, case, code)
    first = _submit(client, case)
    case.refresh_from_db()
    assert first.url == reverse("citizens:apply_case", args=[case.tracking_no])
    assert case.state == CaseState.PENDING_MATERIALS
    page = client.get(first.url)
    assert [entry["material_type"] for entry in page.context["notice_entries"]] == [missing[0]]
    assert "一次性告知" in page.content.decode()
    # The case page leads back here.
    assert (
        reverse("citizens:apply_case", args=[case.tracking_no])
        in client.get(reverse("citizens:me_case", args=[case.tracking_no])).content.decode()
    )

    # Later, online: the last material, then the same door again.
    assert _upload(client, case, missing[0]).status_code == 302
    second = _submit(client, case)
    case.refresh_from_db()
    assert second.url == reverse("citizens:me_case", args=[case.tracking_no])
    assert case.accepted_at is not None
    assert CaseEvent.objects.filter(case=case, name="request_materials").count() == 1
    assert CaseEvent.objects.filter(case=case, name="supplement").count() == 1
    assert not Visit.objects.filter(case=case).exists()
    # Once accepted the page is no longer a form: it sends the applicant to the case.
    assert client.get(first.url).url == reverse("citizens:me_case", args=[case.tracking_no])


def test_another_applicants_case_is_404_on_every_apply_url(client, parent, company):
    applicant, _record = parent
    sign_in_as(client, company)
    _start(client, bundle="OPEN_RESTAURANT")
    foreign = Case.objects.get(applicant=company)
    client.logout()
    sign_in_as(client, applicant)
    number = foreign.tracking_no
    assert client.get(reverse("citizens:apply_case", args=[number])).status_code == 404
    for url in (
        reverse("citizens:apply_upload", args=[number]),
        reverse("citizens:apply_decline", args=[number, "BUSINESS_LICENCE"]),
        reverse("citizens:apply_forms", args=[number]),
        reverse("citizens:apply_submit", args=[number]),
    ):
        response = client.post(
            url,
            {
                "material_type": "ID_CARD",
                "file": SimpleUploadedFile("a.pdf", PDF),
                "submit_key": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 404, url
    foreign.refresh_from_db()
    assert foreign.state == CaseState.DRAFT
    assert not CaseMaterial.objects.filter(case=foreign, status=MaterialStatus.UPLOADED).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, demo):
    response = client.get(reverse("citizens:apply"))
    assert response.status_code == 302 and response.url == reverse("citizens:sign_in")


def test_people_see_life_events_and_person_services_only(client, parent):
    applicant, _record = parent
    sign_in_as(client, applicant)
    page = client.get(reverse("citizens:apply"))
    events = [event.value for event in page.context["events"]]
    assert events == ["birth", "marriage", "housing", "work"]
    bundles = {bundle.code for bundle in page.context["bundles"]}
    assert {"SECOND_CHILD_PERMIT", "MARRIAGE_REGISTRATION"} <= bundles
    assert "OPEN_RESTAURANT" not in bundles
    assert {item.audience for item in page.context["items"]} <= {"person", "both"}
    birth = client.get(reverse("citizens:apply"), {"event": "birth"})
    assert {bundle.life_event for bundle in birth.context["bundles"]} == {"birth"}
    assert "I002" in {item.code for item in birth.context["items"]}


def test_companies_browse_by_life_cycle_and_see_no_personal_services(client, company):
    sign_in_as(client, company)
    page = client.get(reverse("citizens:apply"), {"event": "company_start"})
    assert [event.value for event in page.context["events"]] == [
        "company_start",
        "company_change",
        "company_close",
    ]
    assert [bundle.code for bundle in page.context["bundles"]] == ["OPEN_RESTAURANT"]
    everything = client.get(reverse("citizens:apply"))
    assert "SECOND_CHILD_PERMIT" not in {bundle.code for bundle in everything.context["bundles"]}
    assert "I002" not in {item.code for item in everything.context["items"]}


def test_applying_for_what_is_not_meant_for_you_is_refused_and_changes_nothing(client, company):
    sign_in_as(client, company)
    response, _sent = _start(client, bundle="SECOND_CHILD_PERMIT")
    assert response.status_code == 400
    assert "不面向法人及其他组织办理" in response.content.decode()
    response, _sent = _start(client, items=["I002"])
    assert response.status_code == 400
    response, _sent = _start(client, items=["NOPE999"])
    assert response.status_code == 400 and "NOPE999" in response.content.decode()
    assert not Case.objects.filter(applicant=company).exists()


def test_a_form_from_another_session_cannot_reach_someone_elses_case(client, parent, company):
    """The idempotency key is the applicant's own: the same key from someone else is a new case."""
    applicant, _record = parent
    sign_in_as(client, company)
    key = str(uuid.uuid4())
    client.post(reverse("citizens:apply"), {"bundle": "OPEN_RESTAURANT", "idempotency_key": key})
    client.logout()
    sign_in_as(client, applicant)
    response = client.post(
        reverse("citizens:apply"), {"bundle": "SECOND_CHILD_PERMIT", "idempotency_key": key}
    )
    own = Case.objects.get(applicant=applicant)
    assert response.url == reverse("citizens:apply_case", args=[own.tracking_no])
    assert Case.objects.filter(applicant=company).count() == 1


def test_an_item_with_a_fee_says_so_before_applying(client, parent):
    from decimal import Decimal

    from departments.models import ServiceItem

    applicant, _record = parent
    sign_in_as(client, applicant)
    item = client.get(reverse("citizens:apply")).context["items"][0]
    ServiceItem.objects.filter(pk=item.pk).update(fee=Decimal("20.00"))
    body = client.get(reverse("citizens:apply")).content.decode()
    assert "收费20.00元" in body
