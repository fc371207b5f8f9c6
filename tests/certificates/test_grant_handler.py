"""The certificate is issued by the certificates app's grant handler, in the transaction
that grants the approval: cases never imports this app (the import contract), and a
grant either issues its certificate or does not happen."""

from __future__ import annotations

import pytest

from cases.constants import ApprovalState, CaseState
from cases.models import Approval, Job
from cases.services import review
from cases.services.dispatch import case_dispatch
from cases.services.review import approval_approve, approval_granted_handler_register
from certificates.models import Certificate
from certificates.services.issuance import certificate_create_for_approval
from tests.factories import CaseFactory, CertificateTypeFactory, ServiceItemFactory


def test_the_certificates_app_registers_its_issuance_once():
    assert review.GRANT_HANDLERS.count(certificate_create_for_approval) == 1
    # Registering again (a second ready(), a reload) adds nothing.
    assert approval_granted_handler_register(certificate_create_for_approval) is (
        certificate_create_for_approval
    )
    assert review.GRANT_HANDLERS.count(certificate_create_for_approval) == 1


def _in_review(department):
    licence = CertificateTypeFactory(code="LICENCE_G", issuing_department=department)
    item = ServiceItemFactory(department=department, produces=licence)
    case = case_dispatch(case=CaseFactory(state=CaseState.ACCEPTED, items=[item]))
    approval = Approval.objects.get(case=case)
    assert approval.state == ApprovalState.IN_REVIEW
    return approval


@pytest.mark.django_db(transaction=True)
def test_a_grant_issues_its_certificate_in_the_same_transaction(department):
    approval = _in_review(department)
    approval_approve(approval=approval, actor=None, note="同意")
    certificate = Certificate.objects.get(approval=approval)
    assert certificate.case_id == approval.case_id
    assert Job.objects.filter(key=f"issue_pdf:{certificate.pk}").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_grant_handler_leaves_the_approval_ungranted_and_no_certificate(
    department, monkeypatch
):
    approval = _in_review(department)
    jobs = Job.objects.count()

    def refuse(*, approval):
        raise RuntimeError("the library is unavailable")

    # After the certificate's handler: its row is written, then rolled back with the grant.
    monkeypatch.setattr(review, "GRANT_HANDLERS", [*review.GRANT_HANDLERS, refuse])
    with pytest.raises(RuntimeError, match="unavailable"):
        approval_approve(approval=approval, actor=None, note="同意")
    approval.refresh_from_db()
    assert approval.state == ApprovalState.IN_REVIEW
    assert not Certificate.objects.filter(approval=approval).exists()
    assert Job.objects.count() == jobs
