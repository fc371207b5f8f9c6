import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cases.constants import CertificateStatus
from certificates.models import Certificate
from certificates.services.lifecycle import certificate_change, certificate_revoke
from certificates.services.rendering import certificate_render_and_sign

API = "api:certificate-verify"


@pytest.fixture
def api():
    return APIClient()


def api_url(token):
    return reverse(API, args=[token])


def page_url(token):
    return reverse("certificates:verify", args=[token])


def test_api_answers_the_contract_with_name_and_number_masked(api, certificate):
    response = api.get(api_url(certificate.verification_token))
    assert response.status_code == 200
    body = response.json()
    assert {
        "valid",
        "number",
        "type",
        "holder_masked",
        "issued_by",
        "issued_at",
        "valid_until",
        "status",
    } <= set(body)
    assert body["valid"] is True
    assert body["status"] == "valid"
    assert body["number"] == certificate.number
    assert body["type"] == "食品经营许可证"
    assert body["issued_by"] == "成都市市场监督管理局"
    assert body["holder_name_masked"] == "𠮷**三"
    assert body["holder_id_masked"] == "1101**********1234"
    assert body["holder_masked"] == "𠮷**三（1101**********1234）"
    raw = response.content.decode()
    assert "110101199003071234" not in raw
    assert "𠮷田张三" not in raw


def test_api_needs_no_login(api, certificate, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    # A bad token header is ignored, not rejected: the endpoint is public.
    assert api.get(api_url(certificate.verification_token)).status_code == 200


def test_unknown_malformed_and_tampered_tokens_get_the_identical_answer(api, certificate):
    token = certificate.verification_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    answers = [
        api.get(api_url(candidate))
        for candidate in (tampered, "x" * 32, "short", "../../etc/passwd".replace("/", "_"))
    ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.content for answer in answers}) == 1
    assert answers[0].json() == {"detail": "未找到该电子证照。"}


def test_page_unknown_and_tampered_tokens_are_identical(client, certificate):
    token = certificate.verification_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    first = client.get(page_url(tampered))
    second = client.get(page_url("y" * 32))
    assert first.status_code == second.status_code == 404
    assert first.content == second.content
    assert "未找到该电子证照" in first.content.decode()


def test_page_shows_status_masked_holder_and_the_pdf_hash(client, certificate):
    signed = certificate_render_and_sign(certificate_id=certificate.pk)
    page = client.get(page_url(signed.verification_token)).content.decode()
    assert "该电子证照真实有效" in page
    assert "𠮷**三" in page
    assert "1101**********1234" in page
    assert "110101199003071234" not in page
    assert "𠮷田张三" not in page
    assert signed.pdf_sha256 in page
    assert signed.licence_id in page


def test_page_rechecks_an_uploaded_pdf(client, certificate):
    signed = certificate_render_and_sign(certificate_id=certificate.pk)
    with signed.pdf.open("rb") as handle:
        data = handle.read()
    response = client.post(
        page_url(signed.verification_token),
        {"pdf": SimpleUploadedFile("c.pdf", data, content_type="application/pdf")},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "文件与签发的电子证照一致，电子印章签名有效" in page
    assert "与颁发部门印章一致" in page

    altered = bytearray(data)
    altered[altered.index(b"WeasyPrint")] = ord("w")
    response = client.post(
        page_url(signed.verification_token),
        {"pdf": SimpleUploadedFile("c.pdf", bytes(altered), content_type="application/pdf")},
    )
    page = response.content.decode()
    assert "文件未通过核验" in page
    assert "文件在签名后被修改" in page


def test_page_refuses_an_upload_that_is_not_a_pdf(client, certificate):
    response = client.post(
        page_url(certificate.verification_token),
        {"pdf": SimpleUploadedFile("c.txt", b"hello", content_type="text/plain")},
    )
    assert response.status_code == 200
    assert "这不是PDF文件" in response.content.decode()


def test_revoked_certificate_reads_revoked_without_the_private_reason(
    api, client, certificate, issuing_reviewer
):
    certificate_revoke(
        certificate=certificate, actor=issuing_reviewer, reason="持证人张三丰申请注销"
    )
    response = api.get(api_url(certificate.verification_token))
    body = response.json()
    assert body["valid"] is False
    assert body["status"] == "revoked"
    assert body["status_display"] == "已注销"
    assert "张三丰" not in response.content.decode()
    page = client.get(page_url(certificate.verification_token)).content.decode()
    assert "已注销" in page
    assert "张三丰" not in page


def test_certificate_past_its_last_day_reads_expired_before_the_daily_job(api, certificate):
    import datetime as dt

    from django.utils import timezone

    Certificate.objects.filter(pk=certificate.pk).update(
        valid_from=timezone.localdate() - dt.timedelta(days=10),
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    body = api.get(api_url(certificate.verification_token)).json()
    assert body["valid"] is False
    assert body["status"] == "expired"


def test_superseded_certificate_points_to_the_newest_version(
    api, client, certificate, issuing_reviewer
):
    second = certificate_change(
        certificate=certificate, actor=issuing_reviewer, changes={"address": "成都市锦江区1号"}
    )
    third = certificate_change(
        certificate=second, actor=issuing_reviewer, changes={"address": "成都市锦江区2号"}
    )
    body = api.get(api_url(certificate.verification_token)).json()
    assert body["status"] == CertificateStatus.SUPERSEDED
    assert body["valid"] is False
    assert body["superseded_by"]["number"] == third.number
    assert body["superseded_by"]["version"] == 3
    assert body["superseded_by"]["verify_url"].endswith(f"/verify/{third.verification_token}/")
    page = client.get(page_url(certificate.verification_token)).content.decode()
    assert "该证照已由新版本替代" in page
    assert page_url(third.verification_token) in page
    assert api.get(api_url(third.verification_token)).json()["valid"] is True


def test_api_is_throttled(api, certificate, settings):
    settings.CERTIFICATE_VERIFY_THROTTLE_RATE = "3/minute"
    codes = [api.get(api_url(certificate.verification_token)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_page_is_throttled(client, certificate, settings):
    settings.CERTIFICATE_VERIFY_THROTTLE_RATE = "2/minute"
    codes = [client.get(page_url(certificate.verification_token)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_page_is_translated_to_english(client, certificate):
    page = client.get(
        page_url(certificate.verification_token), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "电子证照核验" not in page


def test_forged_forwarded_for_does_not_lift_the_limit(api, client, certificate, settings):
    settings.CERTIFICATE_VERIFY_THROTTLE_RATE = "3/minute"
    codes = [
        api.get(
            api_url(certificate.verification_token), HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    page = client.get(page_url(certificate.verification_token), HTTP_X_FORWARDED_FOR="192.0.2.9")
    assert page.status_code == 429
