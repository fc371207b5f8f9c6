"""The checklist asks only for what the government does not already have (docs/architecture.md §5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import CaseState, CertificateStatus, Channel, MaterialStatus, VisitReason
from cases.models import Applicant, Case, CaseEvent, CaseMaterial, Verification, Visit
from cases.services.intake import (
    ApplicantInputError,
    IntakeInputError,
    case_create,
    case_material_decline_evidence,
    case_materials_resolve,
    intake_department,
    intake_start,
)
from departments.identifiers import make_uscc
from tests.cases.services.intake_catalogue import build_catalogue
from tests.factories import (
    ApplicantFactory,
    BundleFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    DepartmentFactory,
    OrganisationFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
)


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _statuses(result):
    return {entry.material_type.code: entry.status for entry in result.checklist}


def _start(catalogue, user, **kwargs):
    arguments = {"id_type": "resident_id", "id_number": catalogue.person_id, "user": user}
    arguments.update(kwargs)
    return intake_start(**arguments)


def test_a_bundle_of_four_items_sharing_materials_asks_for_each_once(catalogue, clerk):
    result = _start(catalogue, clerk, bundle_code="OPEN_SHOP")
    codes = [entry.material_type.code for entry in result.checklist]
    assert codes == ["ID_CARD", "LEASE", "LICENCE_COPY", "PLAN"]
    assert CaseMaterial.objects.filter(case=result.case).count() == 4
    id_card = next(entry for entry in result.checklist if entry.material_type.code == "ID_CARD")
    assert [item.code for item in id_card.items] == ["X001", "X002", "X003", "X004"]
    # The registry is read once for the one ID card, not once per item.
    purposes = list(
        Verification.objects.filter(case=result.case, registry__code="POPULATION").values_list(
            "purpose", flat=True
        )
    )
    assert sum("核验「居民身份证」" in purpose for purpose in purposes) == 1


def test_a_registry_verifiable_requirement_needs_no_upload_and_leaves_a_verification(
    catalogue, clerk
):
    result = _start(catalogue, clerk, item_codes=["X001"])
    material = CaseMaterial.objects.get(case=result.case, material_type__code="ID_CARD")
    assert material.status == MaterialStatus.VERIFIED
    assert material.verification.outcome == "ok"
    assert material.verification.requesting_department.code == "A"
    assert material.verification.requested_by == clerk
    assert material.verification.purpose == "受理「设立登记」：核验「居民身份证」"
    assert not material.file


def test_a_valid_certificate_in_the_library_is_reused_not_asked_for(catalogue, clerk):
    applicant = ApplicantFactory(id_number=catalogue.person_id, name="𠮷祥")
    certificate = CertificateFactory(
        holder=applicant,
        certificate_type=catalogue.licence,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    result = _start(catalogue, clerk, item_codes=["X002"])
    material = CaseMaterial.objects.get(case=result.case, material_type__code="LICENCE_COPY")
    assert material.status == MaterialStatus.REUSED_CERTIFICATE
    assert material.certificate == certificate
    assert certificate.number in material.detail


@pytest.mark.parametrize(
    "certificate_fields",
    [
        {"status": CertificateStatus.REVOKED},
        {"status": CertificateStatus.EXPIRED},
        {"valid_from": dt.date(2020, 1, 1), "valid_until": dt.date(2021, 1, 1)},
    ],
    ids=["revoked", "expired-status", "past-end-date"],
)
def test_an_expired_or_revoked_certificate_is_not_reused(catalogue, clerk, certificate_fields):
    applicant = ApplicantFactory(id_number=catalogue.person_id)
    CertificateFactory(holder=applicant, certificate_type=catalogue.licence, **certificate_fields)
    result = _start(catalogue, clerk, item_codes=["X002"])
    assert _statuses(result)["LICENCE_COPY"] == MaterialStatus.MISSING


def test_a_material_handed_over_in_an_earlier_case_is_reused_while_valid(catalogue, clerk):
    applicant = ApplicantFactory(id_number=catalogue.person_id)
    earlier_case = CaseFactory(applicant=applicant, state=CaseState.CLOSED)
    earlier = CaseMaterialFactory(
        case=earlier_case,
        material_type=catalogue.lease,
        status=MaterialStatus.UPLOADED,
        sha256="a" * 64,
    )
    result = _start(catalogue, clerk, item_codes=["X001"])
    material = CaseMaterial.objects.get(case=result.case, material_type=catalogue.lease)
    assert material.status == MaterialStatus.REUSED_MATERIAL
    assert material.earlier_material == earlier
    assert earlier_case.tracking_no in material.detail


def test_an_earlier_material_past_its_reuse_period_is_asked_for_again(catalogue, clerk):
    applicant = ApplicantFactory(id_number=catalogue.person_id)
    earlier = CaseMaterialFactory(
        case=CaseFactory(applicant=applicant, state=CaseState.CLOSED),
        material_type=catalogue.lease,
        status=MaterialStatus.UPLOADED,
        sha256="a" * 64,
    )
    CaseMaterial.objects.filter(pk=earlier.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=366)
    )
    result = _start(catalogue, clerk, item_codes=["X001"])
    assert _statuses(result)["LEASE"] == MaterialStatus.MISSING


def test_a_certificate_another_item_of_the_case_produces_is_not_asked_for(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001", "X002"])
    material = CaseMaterial.objects.get(case=result.case, material_type__code="LICENCE_COPY")
    assert material.status == MaterialStatus.PRODUCED_IN_CASE
    assert material.producing_item == catalogue.produce_licence


def test_the_certificate_library_comes_before_the_registry_and_the_order_is_followed(
    catalogue, clerk
):
    """A material both satisfiable by a certificate and verifiable: the certificate wins,
    and no registry read is made for it."""
    catalogue.id_card.satisfied_by = catalogue.licence
    catalogue.id_card.save()
    applicant = ApplicantFactory(id_number=catalogue.person_id)
    CertificateFactory(holder=applicant, certificate_type=catalogue.licence)
    result = _start(catalogue, clerk, item_codes=["X004"])
    assert _statuses(result)["ID_CARD"] == MaterialStatus.REUSED_CERTIFICATE
    assert not Verification.objects.filter(case=result.case, purpose__contains="核验").exists()


def test_resolving_again_changes_nothing_already_met(catalogue, clerk):
    result = _start(catalogue, clerk, bundle_code="OPEN_SHOP")
    before = list(CaseMaterial.objects.filter(case=result.case).values_list("pk", "status"))
    reads = Verification.objects.count()
    case_materials_resolve(case=result.case, user=clerk)
    case_materials_resolve(case=result.case, user=clerk)
    assert list(CaseMaterial.objects.filter(case=result.case).values_list("pk", "status")) == before
    assert Verification.objects.count() == reads  # the verified ID card is not read again


def test_an_ungranted_read_is_refused_logged_as_denied_and_the_paper_is_asked_for(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["K001"])
    denied = Verification.objects.get(case=result.case, requesting_department__code="K")
    assert denied.outcome == "denied"
    assert denied.purpose == "受理「不动产登记」：核验「居民身份证」"
    assert _statuses(result)["ID_CARD"] == MaterialStatus.MISSING
    assert "无共享授权" in result.checklist[0].material.detail


def test_prefill_fills_the_applicant_and_form_fields_through_the_gateway(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    applicant = Applicant.objects.get(pk=result.case.applicant_id)
    assert (applicant.name, applicant.address, applicant.phone) == (
        "𠮷祥",
        "成都市锦江区红星路1号",
        "13900000001",
    )
    assert result.case.form_data == {"X001": {"investor_name": "𠮷祥", "proposed_name": ""}}
    prefill = Verification.objects.get(case=result.case, purpose__contains="预填")
    assert prefill.requesting_department.code == "O"  # the window's department
    assert prefill.outcome == "ok"


def test_typed_details_are_kept_over_the_registry(catalogue, clerk):
    # A name other than the registry's needs a reason (tests/cases/test_registry_override.py).
    result = _start(
        catalogue,
        clerk,
        item_codes=["X001"],
        name="张三",
        phone="13800000000",
        override_reason="申请人已更名，户籍信息尚未更新",
    )
    applicant = Applicant.objects.get(pk=result.case.applicant_id)
    assert (applicant.name, applicant.phone) == ("张三", "13800000000")
    assert applicant.address == "成都市锦江区红星路1号"


def test_the_same_idempotency_key_opens_one_case(catalogue, clerk):
    first = _start(catalogue, clerk, item_codes=["X001"], idempotency_key="form-123")
    second = _start(catalogue, clerk, item_codes=["X001"], idempotency_key="form-123")
    assert first.case.pk == second.case.pk
    assert Case.objects.count() == 1
    assert Visit.objects.count() == 1


def test_a_window_case_records_the_visit_and_an_agent_case_the_agent(catalogue, clerk, agent):
    window = _start(catalogue, clerk, item_codes=["X001"])
    assert Visit.objects.get(case=window.case).reason == VisitReason.INTAKE
    by_agent = _start(catalogue, agent, item_codes=["X001"], channel=Channel.AGENT)
    assert by_agent.case.created_by == agent
    assert not Visit.objects.filter(case=by_agent.case).exists()
    event = CaseEvent.objects.get(case=by_agent.case, name="agent_acting")
    assert event.actor == agent and "agent_test" in event.note


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"id_number": "510104198001010011"}, "id_number", "校验码错误"),
        ({"id_type": "passport"}, "id_type", "证件类型"),
        ({"item_codes": []}, "items", "至少选择一个事项"),
        ({"item_codes": ["NOPE"]}, "items", "NOPE"),
        ({"bundle_code": "NOPE"}, "bundle", "NOPE"),
        ({"channel": "fax"}, "channel", "渠道"),
    ],
)
def test_bad_intake_input_gets_a_clear_message_and_changes_nothing(
    catalogue, clerk, arguments, field, message
):
    full = {"item_codes": ["X001"], **arguments}
    error_types = (ApplicantInputError, IntakeInputError)
    with pytest.raises(error_types) as error:
        _start(catalogue, clerk, **full)
    assert error.value.field == field
    assert message in str(error.value)
    assert not Case.objects.exists()
    assert not Applicant.objects.exists()
    assert not Verification.objects.exists()


def test_a_credit_code_failing_its_check_is_accepted_only_if_the_legal_person_registry_holds_it(
    catalogue, clerk
):
    good = make_uscc(region="510100", organisation_code="MA6CXXXX1")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ApplicantInputError) as error:
        intake_start(id_type="uscc", id_number=bad, item_codes=["X004"], user=clerk)
    assert "法人库中没有这个代码" in str(error.value)
    assert not Case.objects.exists()
    RegistryRecordFactory(
        registry=catalogue.legal_person, subject_id=bad, data={"name": "老字号餐馆"}
    )
    result = intake_start(id_type="uscc", id_number=bad, item_codes=["X004"], user=clerk)
    applicant = Applicant.objects.get(pk=result.case.applicant_id)
    assert applicant.id_check_overridden and applicant.name == "老字号餐馆"
    # The registry's confirmation was read before the case existed: the case points at it.
    event = CaseEvent.objects.get(case=result.case, name="id_check_override")
    confirmation = Verification.objects.get(pk=event.data["verification"])
    assert (confirmation.subject_id, confirmation.outcome, confirmation.case_id) == (
        bad,
        "ok",
        None,
    )
    assert "确认校验码例外" in confirmation.purpose


def test_declined_evidence_is_recorded_and_the_paper_is_asked_for(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    material = case_material_decline_evidence(
        case=result.case, material_type_code="ID_CARD", actor=clerk
    )
    assert material.status == MaterialStatus.MISSING and material.evidence_declined
    event = CaseEvent.objects.get(case=result.case, name="evidence_declined")
    assert event.data["previous"]["status"] == MaterialStatus.VERIFIED
    reads = Verification.objects.count()
    checklist = case_materials_resolve(case=result.case, user=clerk)
    assert {entry.material_type.code: entry.status for entry in checklist}["ID_CARD"] == (
        MaterialStatus.MISSING
    )
    assert Verification.objects.count() == reads  # declined data is not fetched again


@pytest.mark.django_db(transaction=True)
def test_a_refused_override_leaves_no_case_but_its_registry_read_stays_logged(clerk):
    build_catalogue()
    good = make_uscc(region="510100", organisation_code="MA6CXXXX2")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ApplicantInputError):
        intake_start(id_type="uscc", id_number=bad, item_codes=["X004"], user=clerk)
    assert not Case.objects.exists()
    row = Verification.objects.get()
    assert (row.subject_id, row.outcome, row.case_id) == (bad, "no_match", None)
    assert "确认校验码例外" in row.purpose


def test_registry_reads_are_logged_in_chinese_whatever_language_the_clerk_works_in(
    catalogue, clerk
):
    from django.utils import translation

    with translation.override("en"):
        result = _start(catalogue, clerk, item_codes=["X001"])
    purposes = set(Verification.objects.filter(case=result.case).values_list("purpose", flat=True))
    assert "受理「设立登记」：核验「居民身份证」" in purposes
    assert f"受理办件 {result.case.tracking_no}：预填申请人信息和申请表" in purposes
    assert all("Intake" not in purpose for purpose in purposes)


def test_a_read_before_the_case_exists_is_made_as_the_department_the_case_would_read_as(
    db,
):
    """The check of a credit code is read before the case is opened: online, as the
    department of the first item the case will have (the bundle's order, else by code),
    as every later read of that case; at the window, as the service centre."""
    window = DepartmentFactory(code="O")
    first = ServiceItemFactory(code="Z9", department=DepartmentFactory(code="F"))
    second = ServiceItemFactory(code="A1", department=DepartmentFactory(code="S"))
    bundle = BundleFactory(with_items=[first, second])
    for items, chosen_bundle, expected in (
        ([first, second], None, second.department),  # by code
        ([], bundle, first.department),  # the bundle's order
    ):
        before = intake_department(user=None, channel="online", items=items, bundle=chosen_bundle)
        case = case_create(
            applicant=OrganisationFactory(), items=items, bundle=chosen_bundle, channel="online"
        )
        assert before == intake_department(user=None, case=case) == expected
    assert intake_department(user=None, channel="window", items=[first]) == window
