"""What a certificate says of its holder comes from the registry that verified them
(issue 19 point 3): the approval's own check first, intake's prefill next, and the
details on file only when no registry verified the holder."""

from __future__ import annotations

import pytest

from cases.constants import ApplicantKind, CaseState, IdType
from cases.services.review import approval_approve
from certificates.models import Certificate
from tests.cases.override_catalogue import pdf_text
from tests.factories import ApplicantFactory, ApprovalFactory, CaseFactory, ServiceItemFactory

REGISTRY_NAME = "成都蓉城味道餐饮有限公司"
CHECKED_NAME = "成都蓉城味道餐饮股份有限公司"
TYPED_NAME = "成都蓉城味道餐饮连锁集团有限公司"


@pytest.fixture
def company(db):
    return ApplicantFactory(
        kind=ApplicantKind.ORGANISATION,
        id_type=IdType.USCC,
        id_number="91510104MA6CX00013",
        name=TYPED_NAME,
        legal_representative="李四",
    )


def _approve(*, company, certificate_type, issuing_reviewer, capture, prefill=None, checks=()):
    item = ServiceItemFactory(
        code="A003", name="食品经营许可", department=certificate_type.issuing_department,
        produces=certificate_type,
    )  # fmt: skip
    case = CaseFactory(applicant=company, state=CaseState.IN_REVIEW)
    if prefill is not None:
        case.registry_prefill = prefill
        case.save(update_fields=["registry_prefill"])
    approval = ApprovalFactory(case=case, item=item, state="IN_REVIEW", checks=list(checks))
    with capture(execute=True):
        approval_approve(approval=approval, actor=issuing_reviewer)
    return Certificate.objects.get(approval=approval)


def test_the_prefill_registry_name_is_certified_not_the_typed_one(
    company, certificate_type, issuing_reviewer, django_capture_on_commit_callbacks
):
    certificate = _approve(
        company=company,
        certificate_type=certificate_type,
        issuing_reviewer=issuing_reviewer,
        capture=django_capture_on_commit_callbacks,
        prefill={
            "registry": "LEGAL_PERSON",
            "verification": 7,
            "applicant": {"name": REGISTRY_NAME, "legal_representative": "𠮷田张三"},
        },
    )
    assert certificate.data["holder_name"] == REGISTRY_NAME
    assert certificate.data["legal_representative"] == "𠮷田张三"
    assert certificate.data["holder_verified_by"] == {"registry": "LEGAL_PERSON", "verification": 7}
    text = pdf_text(certificate)
    assert REGISTRY_NAME in text and "𠮷田张三" in text
    assert TYPED_NAME not in text and "李四" not in text


def test_the_approvals_own_registry_check_comes_before_the_prefill(
    company, certificate_type, issuing_reviewer, django_capture_on_commit_callbacks
):
    certificate = _approve(
        company=company,
        certificate_type=certificate_type,
        issuing_reviewer=issuing_reviewer,
        capture=django_capture_on_commit_callbacks,
        prefill={
            "registry": "LEGAL_PERSON",
            "verification": 7,
            "applicant": {"name": REGISTRY_NAME},
        },
        checks=[
            {"registry": "TAX", "outcome": "ok", "passed": True, "verification": 8},
            {
                "registry": "LEGAL_PERSON",
                "outcome": "ok",
                "passed": True,
                "verification": 9,
                "subject": {"name": CHECKED_NAME},
            },
        ],
    )
    assert certificate.data["holder_name"] == CHECKED_NAME
    assert certificate.data["holder_verified_by"] == {"registry": "LEGAL_PERSON", "verification": 9}
    # The registry's record gave no representative: the one on file stays.
    assert certificate.data["legal_representative"] == "李四"
    assert CHECKED_NAME in pdf_text(certificate)


def test_without_a_registry_the_details_on_file_are_certified(
    holder, certificate_type, issuing_reviewer, django_capture_on_commit_callbacks
):
    certificate = _approve(
        company=holder,
        certificate_type=certificate_type,
        issuing_reviewer=issuing_reviewer,
        capture=django_capture_on_commit_callbacks,
    )
    assert certificate.data["holder_name"] == holder.name
    assert "holder_verified_by" not in certificate.data
    assert "legal_representative" not in certificate.data  # a person has none
