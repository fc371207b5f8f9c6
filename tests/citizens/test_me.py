"""The personal space: only the signed-in applicant's own cases, certificates and supplements.

Every URL that takes an id is tried with another applicant's id: 404, like nothing there.
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.constants import ApprovalState, CaseState, MaterialStatus
from cases.models import Approval, CaseEvent, CaseMaterial
from tests.factories import ApprovalFactory, CaseFactory, CertificateFactory, MaterialTypeFactory

PDF = b"%PDF-1.7\n% a scan\n"


def test_signed_out_visitors_are_sent_to_sign_in(client, owner_case):
    for url in (
        reverse("citizens:me"),
        reverse("citizens:me_case", args=[owner_case.tracking_no]),
        reverse("citizens:me_certificates"),
        reverse("citizens:me_data_reads"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("citizens:sign_in")


def test_case_list_shows_all_own_cases_and_no_one_elses(
    owner_client, owner, owner_case, stranger_case, item
):
    closed = CaseFactory(applicant=owner, state=CaseState.CLOSED, items=[item])
    html = owner_client.get(reverse("citizens:me")).content.decode()
    assert owner_case.tracking_no in html and closed.tracking_no in html
    assert stranger_case.tracking_no not in html
    assert "二孩生育登记" in html
    assert "待评价" in html


def test_case_list_costs_a_fixed_number_of_queries(
    owner_client, owner, item, django_assert_max_num_queries
):
    for _ in range(3):
        CaseFactory(applicant=owner, state=CaseState.IN_REVIEW, items=[item])
    url = reverse("citizens:me")
    owner_client.get(url)
    with django_assert_max_num_queries(8) as few:
        owner_client.get(url)
    for _ in range(20):
        CaseFactory(applicant=owner, state=CaseState.IN_REVIEW, items=[item])
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get(url)


def test_own_case_detail_and_someone_elses_is_404(owner_client, owner_case, stranger_case):
    assert (
        owner_client.get(reverse("citizens:me_case", args=[owner_case.tracking_no])).status_code
        == 200
    )
    assert (
        owner_client.get(reverse("citizens:me_case", args=[stranger_case.tracking_no])).status_code
        == 404
    )
    assert owner_client.get(reverse("citizens:me_case", args=["260101ABCDEFGH"])).status_code == 404


@pytest.fixture
def owner_certificate(owner, owner_case):
    certificate = CertificateFactory(holder=owner, case=owner_case, number="I002-2026-000007")
    certificate.pdf.save("signed.pdf", ContentFile(b"%PDF-1.7 signed by the department"), save=True)
    return certificate


def test_wallet_lists_own_certificates_only(owner_client, owner_certificate, stranger):
    foreign = CertificateFactory(holder=stranger, number="I002-2026-000099")
    html = owner_client.get(reverse("citizens:me_certificates")).content.decode()
    assert owner_certificate.number in html
    assert foreign.number not in html
    assert reverse("citizens:me_certificate_pdf", args=[owner_certificate.pk]) in html
    assert f"/verify/{owner_certificate.verification_token}/" in html


def test_wallet_downloads_own_signed_pdf(owner_client, owner_certificate):
    response = owner_client.get(reverse("citizens:me_certificate_pdf", args=[owner_certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "I002-2026-000007.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.7 signed by the department"
    assert "no-store" in response["Cache-Control"]


def test_someone_elses_certificate_is_404(owner_client, stranger):
    foreign = CertificateFactory(holder=stranger)
    foreign.pdf.save("x.pdf", ContentFile(b"%PDF-1.7 not yours"), save=True)
    response = owner_client.get(reverse("citizens:me_certificate_pdf", args=[foreign.pk]))
    assert response.status_code == 404
    assert (
        owner_client.get(reverse("citizens:me_certificate_pdf", args=[999999])).status_code == 404
    )


def test_a_certificate_without_its_pdf_yet_is_404(owner_client, owner):
    pending = CertificateFactory(holder=owner)
    assert (
        owner_client.get(reverse("citizens:me_certificate_pdf", args=[pending.pk])).status_code
        == 404
    )


# --- supplements answered online ----------------------------------------------------------


@pytest.fixture
def supplement(owner, item):
    case = CaseFactory(applicant=owner, state=CaseState.SUSPENDED, items=[item])
    MaterialTypeFactory(code="BIRTH_PROOF", name="出生医学证明")
    MaterialTypeFactory(code="MARRIAGE_CERT", name="结婚证")
    return ApprovalFactory(
        case=case,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["BIRTH_PROOF", "MARRIAGE_CERT"],
        suspended_at=timezone.now() - dt.timedelta(hours=1),
        decision_note="请补正出生医学证明和结婚证",
    )


def upload(client, approval, code, content=PDF, name="scan.pdf"):
    return client.post(
        reverse("citizens:me_case_supplement", args=[approval.case.tracking_no, approval.pk]),
        {"material_type": code, "file": SimpleUploadedFile(name, content)},
    )


def test_supplement_answered_online_resumes_review_when_all_are_in(owner_client, supplement):
    page = owner_client.get(reverse("citizens:me_case", args=[supplement.case.tracking_no]))
    assert "出生医学证明" in page.content.decode() and "结婚证" in page.content.decode()

    assert upload(owner_client, supplement, "BIRTH_PROOF").status_code == 302
    supplement.refresh_from_db()
    assert supplement.state == ApprovalState.SUPPLEMENT_REQUESTED  # one of two is in
    material = CaseMaterial.objects.get(case=supplement.case, material_type__code="BIRTH_PROOF")
    assert material.status == MaterialStatus.UPLOADED
    assert material.content_type == "application/pdf" and len(material.sha256) == 64

    assert (
        upload(
            owner_client, supplement, "MARRIAGE_CERT", b"\x89PNG\r\n\x1a\n....", "c.png"
        ).status_code
        == 302
    )
    supplement.refresh_from_db()
    supplement.case.refresh_from_db()
    assert supplement.state == ApprovalState.IN_REVIEW
    assert supplement.case.state == CaseState.IN_REVIEW
    uploads = CaseEvent.objects.filter(case=supplement.case, name="supplement_upload")
    assert uploads.count() == 2 and all(event.is_public for event in uploads)


def test_a_file_that_is_not_pdf_or_image_is_refused_and_changes_nothing(owner_client, supplement):
    response = upload(owner_client, supplement, "BIRTH_PROOF", b"MZ\x90\x00 an exe", "scan.pdf")
    assert response.status_code == 400
    assert "只接受 PDF、JPEG 或 PNG 文件。" in response.content.decode()
    assert not CaseMaterial.objects.filter(case=supplement.case).exists()


def test_a_material_the_department_did_not_ask_for_is_refused(owner_client, supplement):
    MaterialTypeFactory(code="LEASE", name="租赁合同")
    response = upload(owner_client, supplement, "LEASE")
    assert response.status_code == 400
    assert "部门没有要求补正这项材料。" in response.content.decode()
    assert not CaseMaterial.objects.filter(case=supplement.case).exists()


def test_someone_elses_supplement_is_404(owner_client, stranger, item):
    case = CaseFactory(applicant=stranger, state=CaseState.SUSPENDED, items=[item])
    MaterialTypeFactory(code="BIRTH_PROOF", name="出生医学证明")
    foreign = ApprovalFactory(
        case=case,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["BIRTH_PROOF"],
        suspended_at=timezone.now(),
    )
    assert upload(owner_client, foreign, "BIRTH_PROOF").status_code == 404
    assert Approval.objects.get(pk=foreign.pk).state == ApprovalState.SUPPLEMENT_REQUESTED
    assert not CaseMaterial.objects.filter(case=case).exists()


def test_someone_elses_case_rating_url_is_404(owner_client, stranger_case):
    response = owner_client.post(
        reverse("citizens:me_case_rate", args=[stranger_case.tracking_no]), {"level": 5}
    )
    assert response.status_code == 404
