"""A certificate issued in one case is reused by the next case of the same holder — and
not once it is revoked or expired (issue 5, end to end on the demo catalogue)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from bench.workload import workload_accept, workload_applicants, workload_prepare
from cases.constants import CaseState, MaterialStatus
from cases.models import Case
from cases.services.intake import intake_start
from certificates.models import Certificate
from certificates.services.lifecycle import certificate_revoke, certificates_expire_due
from departments.services.demo import demo_load


def _licence_row(result):
    return next(
        entry.material
        for entry in result.checklist
        if entry.material_type.code == "BUSINESS_LICENCE"
    )


def _hygiene_permit_case(company, clerk):
    """I001 (public-place hygiene permit) requires the business licence."""
    return intake_start(
        id_type="uscc", id_number=company.id_number, item_codes=["I001"], user=clerk
    )


@pytest.mark.django_db
def test_issued_then_reused_then_not_after_revocation_or_expiry(
    django_capture_on_commit_callbacks,
):
    demo_load(force=True)
    users = get_user_model().objects
    clerk = users.get(username="clerk")
    company = workload_applicants()[0]
    with django_capture_on_commit_callbacks(execute=True):
        first = workload_accept(case_ids=workload_prepare(cases=1))[0]
    assert Case.objects.get(pk=first).state == CaseState.APPROVED
    licence = Certificate.objects.get(case_id=first, certificate_type__code="BUSINESS_LICENCE")
    assert licence.holder == company

    reused = _licence_row(_hygiene_permit_case(company, clerk))
    assert reused.status == MaterialStatus.REUSED_CERTIFICATE
    assert reused.certificate == licence
    assert not reused.file

    reviewer = users.get(username=f"reviewer_{licence.issuing_department.code.lower()}")
    certificate_revoke(certificate=licence, actor=reviewer, reason="营业执照已被吊销")
    after_revocation = _licence_row(_hygiene_permit_case(company, clerk))
    assert after_revocation.status != MaterialStatus.REUSED_CERTIFICATE
    assert after_revocation.certificate is None

    # A second licence from a new case, then its validity runs out.
    with django_capture_on_commit_callbacks(execute=True):
        second = workload_accept(case_ids=workload_prepare(cases=1))[0]
    renewed = Certificate.objects.get(case_id=second, certificate_type__code="BUSINESS_LICENCE")
    assert _licence_row(_hygiene_permit_case(company, clerk)).certificate == renewed
    Certificate.objects.filter(pk=renewed.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1),
        valid_from=timezone.localdate() - dt.timedelta(days=400),
    )
    certificates_expire_due()
    after_expiry = _licence_row(_hygiene_permit_case(company, clerk))
    assert after_expiry.status != MaterialStatus.REUSED_CERTIFICATE
    assert after_expiry.certificate is None
