"""The demo catalogue runs end to end: a demo company opens a restaurant with zero reviewers."""

import pytest

from cases.constants import ApplicantKind, ApprovalState, CaseState, IdType
from cases.models import Applicant, Verification
from cases.services.intake import case_accept, case_create, case_submit
from certificates.models import Certificate
from departments.models import Bundle, RegistryRecord
from departments.services.demo import demo_load


@pytest.mark.django_db
def test_open_a_restaurant_on_the_demo_catalogue_is_approved_automatically(
    django_capture_on_commit_callbacks,
):
    demo_load(force=True)
    from django.contrib.auth import get_user_model

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
        applicant=company, bundle=Bundle.objects.get(code="OPEN_RESTAURANT"), created_by=clerk
    )
    case = case_submit(case=case, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_accept(case=case, actor=clerk)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert {approval.state for approval in case.approvals.all()} == {ApprovalState.APPROVED}
    produced = set(
        Certificate.objects.filter(case=case).values_list("certificate_type__code", flat=True)
    )
    assert {"NAME_APPROVAL", "BUSINESS_LICENCE"} <= produced
    assert Verification.objects.filter(case=case, outcome="ok").exists()
