"""Automatic checks, 秒批, certificates into the library, and approvals that wait for them."""

from __future__ import annotations

import pytest

from cases.constants import ApplicantKind, ApprovalState, CaseState, VerificationOutcome
from cases.exceptions import CaseError
from cases.models import Approval, CaseEvent, Verification
from cases.services.checks import approval_run_checks
from cases.services.dispatch import case_dispatch
from cases.services.review import approval_reject
from cases.services.sharing import registry_read
from certificates.models import Certificate
from departments.constants import RegistryKind
from tests.factories import (
    CaseFactory,
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    OrganisationFactory,
    RegistryFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
)


@pytest.fixture
def restaurant(db):
    """name approval → licence → hygiene + catering, all 秒批, checked against legal-person and tax data."""
    market, health, tax_office = (DepartmentFactory(code=code) for code in ("A", "C", "T"))
    legal_person = RegistryFactory(
        code="LEGAL_PERSON", kind=RegistryKind.LEGAL_PERSON, department=market
    )
    tax = RegistryFactory(code="TAX", kind=RegistryKind.TAX, department=tax_office)
    for department in (market, health):
        SharingAgreementFactory(consumer=department, registry=legal_person)
        SharingAgreementFactory(consumer=department, registry=tax)
    licence_copy = MaterialTypeFactory(code="BUSINESS_LICENCE", verifiable_by=legal_person)
    tax_clearance = MaterialTypeFactory(code="TAX_CLEARANCE", verifiable_by=tax)
    name_approval = CertificateTypeFactory(code="NAME_APPROVAL", issuing_department=market)
    licence = CertificateTypeFactory(code="BUSINESS_LICENCE_CERT", issuing_department=market)
    hygiene_permit = CertificateTypeFactory(
        code="HYGIENE_PERMIT", issuing_department=health, validity_days=1460
    )
    licence_copy.satisfied_by = licence
    licence_copy.save()
    name_item = ServiceItemFactory(
        code="A001", department=market, produces=name_approval, auto_decide=True
    )
    licence_item = ServiceItemFactory(
        code="A002", department=market, produces=licence, auto_decide=True
    )
    MaterialRequirementFactory(
        item=licence_item,
        material_type=MaterialTypeFactory(code="NAME_NOTICE", satisfied_by=name_approval),
    )
    MaterialRequirementFactory(item=licence_item, material_type=tax_clearance)
    hygiene = ServiceItemFactory(
        code="C001", department=health, produces=hygiene_permit, auto_decide=True
    )
    catering = ServiceItemFactory(code="A003", department=market, auto_decide=True)
    for item in (hygiene, catering):
        MaterialRequirementFactory(item=item, material_type=licence_copy)
    company = OrganisationFactory(name="成都𠮷祥餐饮有限公司")
    RegistryRecordFactory(
        registry=legal_person, subject_id=company.id_number, data={"status": "存续"}
    )
    RegistryRecordFactory(registry=tax, subject_id=company.id_number, data={"arrears": False})
    return {"items": [name_item, licence_item, hygiene, catering], "company": company, "tax": tax}


def _dispatch(case, capture):
    with capture(execute=True):
        return case_dispatch(case=case)


@pytest.mark.django_db
def test_an_automatic_bundle_runs_down_its_dependency_chain_to_approval(
    restaurant, django_capture_on_commit_callbacks
):
    case = CaseFactory(
        state=CaseState.ACCEPTED, applicant=restaurant["company"], items=restaurant["items"]
    )
    _dispatch(case, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert set(Approval.objects.filter(case=case).values_list("state", flat=True)) == {
        ApprovalState.APPROVED
    }
    assert all(approval.is_auto_decided for approval in Approval.objects.filter(case=case))
    certificates = Certificate.objects.filter(case=case).order_by("pk")
    assert [certificate.certificate_type.code for certificate in certificates] == [
        "NAME_APPROVAL",
        "BUSINESS_LICENCE_CERT",
        "HYGIENE_PERMIT",
    ]
    assert all(certificate.holder == restaurant["company"] for certificate in certificates)
    hygiene_certificate = certificates.get(certificate_type__code="HYGIENE_PERMIT")
    assert (hygiene_certificate.valid_until - hygiene_certificate.valid_from).days == 1460
    # The licence started only after the name approval's certificate existed.
    unblock = CaseEvent.objects.get(approval__item__code="A002", name="unblock")
    name_granted = CaseEvent.objects.get(approval__item__code="A001", name="auto_approve")
    assert name_granted.pk < unblock.pk
    assert CaseEvent.objects.filter(case=case, name="conclude").count() == 1


@pytest.mark.django_db
def test_every_check_is_a_logged_read_with_its_purpose(
    restaurant, django_capture_on_commit_callbacks
):
    case = CaseFactory(
        state=CaseState.ACCEPTED, applicant=restaurant["company"], items=restaurant["items"]
    )
    from django.utils import translation

    with translation.override("en"):  # logged in Chinese whatever language is active
        _dispatch(case, django_capture_on_commit_callbacks)
    reads = Verification.objects.filter(case=case)
    # licence: tax; hygiene and catering: legal person each (the name approval names no registry).
    assert sorted(reads.values_list("registry__code", flat=True)) == [
        "LEGAL_PERSON",
        "LEGAL_PERSON",
        "TAX",
    ]
    for read in reads:
        assert read.outcome == VerificationOutcome.OK
        assert read.purpose.startswith("办理「") and read.purpose.endswith("」自动核验")
        assert len(read.request_sha256) == len(read.response_sha256) == 64


@pytest.mark.django_db
def test_a_failing_check_sends_the_approval_to_a_reviewer(
    restaurant, django_capture_on_commit_callbacks
):
    from departments.models import RegistryRecord

    RegistryRecord.objects.filter(registry=restaurant["tax"]).update(data={"arrears": True})
    case = CaseFactory(
        state=CaseState.ACCEPTED, applicant=restaurant["company"], items=restaurant["items"]
    )
    _dispatch(case, django_capture_on_commit_callbacks)
    licence = Approval.objects.get(case=case, item__code="A002")
    assert licence.state == ApprovalState.IN_REVIEW
    assert licence.checks[0]["registry"] == "TAX" and licence.checks[0]["passed"] is False
    assert Approval.objects.get(case=case, item__code="C001").state == ApprovalState.WAITING
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW


@pytest.mark.django_db
def test_an_item_without_automatic_decision_waits_for_its_reviewer_with_the_checks(
    restaurant, django_capture_on_commit_callbacks
):
    item = restaurant["items"][1]
    item.auto_decide = False
    item.save()
    case = CaseFactory(state=CaseState.ACCEPTED, applicant=restaurant["company"], items=[item])
    _dispatch(case, django_capture_on_commit_callbacks)
    approval = Approval.objects.get(case=case)
    assert approval.state == ApprovalState.IN_REVIEW
    assert approval.checks == [
        {
            "registry": "TAX",
            "registry_name": restaurant["tax"].name,
            "outcome": VerificationOutcome.OK,
            "passed": True,
            "verification": Verification.objects.get(case=case).pk,
        }
    ]


@pytest.mark.django_db
def test_running_the_task_twice_changes_nothing(restaurant):
    case = case_dispatch(
        case=CaseFactory(
            state=CaseState.ACCEPTED, applicant=restaurant["company"], items=restaurant["items"][:1]
        )
    )
    approval = Approval.objects.get(case=case)
    first = approval_run_checks(approval_id=approval.pk)
    events = CaseEvent.objects.count()
    second = approval_run_checks(approval_id=approval.pk)
    assert first.state == second.state == ApprovalState.APPROVED
    assert CaseEvent.objects.count() == events
    assert Certificate.objects.filter(approval=approval).count() == 1


@pytest.mark.django_db
def test_a_rejected_prerequisite_ends_the_items_waiting_for_it(
    restaurant, django_capture_on_commit_callbacks, department
):
    from departments.constants import Role
    from tests.factories import StaffFactory

    name_item = restaurant["items"][0]
    name_item.auto_decide = False
    name_item.save()
    reviewer = StaffFactory(role=Role.REVIEWER, department=name_item.department)
    case = CaseFactory(
        state=CaseState.ACCEPTED, applicant=restaurant["company"], items=restaurant["items"]
    )
    _dispatch(case, django_capture_on_commit_callbacks)
    name_approval = Approval.objects.get(case=case, item=name_item)
    with django_capture_on_commit_callbacks(execute=True):
        approval_reject(approval=name_approval, actor=reviewer, note="名称与已登记企业重名")
    states = dict(Approval.objects.filter(case=case).values_list("item__code", "state"))
    assert states == {
        "A001": ApprovalState.REJECTED,
        "A002": ApprovalState.VOIDED,
        "C001": ApprovalState.VOIDED,
        "A003": ApprovalState.VOIDED,
    }
    case.refresh_from_db()
    assert case.state == CaseState.DENIED
    assert not Certificate.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_a_read_without_a_sharing_agreement_is_refused_and_logged(restaurant):
    stranger = DepartmentFactory(code="Z")
    reading = registry_read(
        registry=restaurant["tax"],
        subject_id=restaurant["company"].id_number,
        purpose="核验纳税情况",
        department=stranger,
        case=CaseFactory(applicant=restaurant["company"]),
    )
    assert reading.outcome == VerificationOutcome.DENIED
    assert reading.data is None
    logged = Verification.objects.get()
    assert (logged.requesting_department, logged.outcome, logged.response_sha256) == (
        stranger,
        "denied",
        "",
    )


@pytest.mark.django_db
def test_a_read_needs_a_purpose(restaurant):
    for purpose in ("", "   ", "很" * 201):
        with pytest.raises(CaseError):
            registry_read(
                registry=restaurant["tax"],
                subject_id=restaurant["company"].id_number,
                purpose=purpose,
                department=restaurant["items"][0].department,
                case=CaseFactory(applicant=restaurant["company"]),
            )
    assert not Verification.objects.exists()


@pytest.mark.django_db
def test_checks_skip_registries_that_do_not_describe_the_applicant(restaurant):
    population = RegistryFactory(code="POPULATION", kind=RegistryKind.POPULATION)
    item = ServiceItemFactory(auto_decide=True)
    MaterialRequirementFactory(
        item=item, material_type=MaterialTypeFactory(code="ID_CARD", verifiable_by=population)
    )
    case = case_dispatch(
        case=CaseFactory(state=CaseState.ACCEPTED, applicant=restaurant["company"], items=[item])
    )
    assert restaurant["company"].kind == ApplicantKind.ORGANISATION
    approval = approval_run_checks(approval_id=Approval.objects.get(case=case).pk)
    assert approval.checks == [] and approval.state == ApprovalState.APPROVED
