"""Verifying OFD certificates: the project's check (page and API) and the standalone
tools/verify_ofd.py agree on genuine files, tampering, wrong keys, revoked certificates,
expired or forged seals, malformed GB/T 38540 signatures, and refuse bad uploads without
changing anything."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import CaseEvent
from certificates.models import Certificate, OfdDocument
from certificates.ofd.package import PAGE_PATH, SIGNATURE_PATH, SIGNED_VALUE_PATH, ofd_build
from certificates.ofd.seal import (
    SM2Seal,
    authority_certificate_path,
    authority_paths,
    authority_public_key,
    department_public_key,
    public_key_pem,
    seal_build,
    seal_picture_png,
    sm2_key_generate,
)
from certificates.ofd.sm2_certificate import sm2_certificate_issue
from certificates.ofd.verify import MAX_UPLOAD_BYTES, ofd_check
from certificates.services.lifecycle import certificate_revoke
from certificates.services.ofd import (
    certificate_ofd_render_and_seal,
    certificate_ofd_sheet,
    ofd_upload_check,
)
from tools import verify_ofd

API = "api:certificate-document-verify"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def sealed(certificate):
    return certificate_ofd_render_and_seal(certificate_id=certificate.pk)


@pytest.fixture
def ofd_data(sealed):
    with sealed.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def department_key(sealed):
    return department_public_key(department_code=sealed.certificate.issuing_department.code)


def _repack(data: bytes, change) -> bytes:
    """The same package with one entry's bytes changed by ``change(name, content)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return buffer.getvalue()


def _one_byte_changed(name, content):
    if name != PAGE_PATH:
        return content
    position = content.index("持证主体".encode()) + 2
    return content[:position] + bytes([content[position] ^ 0x01]) + content[position + 1 :]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(zipfile.ZipInfo(name), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _tool(tmp_path, data: bytes, key: bytes, *extra: str) -> int:
    path = tmp_path / "licence.ofd"
    path.write_bytes(data)
    return verify_ofd.main([str(path), "--public-key", key.hex(), *extra])


def test_a_genuine_file_passes_everywhere(ofd_data, department_key, tmp_path, capsys):
    check = ofd_check(
        data=ofd_data, public_key=department_key, authority_public_key=authority_public_key()
    )
    assert check.is_genuine, check.problems
    result = ofd_upload_check(data=ofd_data)
    assert result.genuine and result.status == "valid"
    assert (
        _tool(tmp_path, ofd_data, department_key, "--authority-key", authority_public_key().hex())
        == 0
    )
    output = capsys.readouterr().out
    assert output.startswith("genuine")
    assert "holder_name: 𠮷田张三" in output


def test_the_tool_reads_a_pem_key_file(ofd_data, department_key, tmp_path):
    key_file = tmp_path / "department.pem"
    key_file.write_text(public_key_pem(department_key))
    path = tmp_path / "licence.ofd"
    path.write_bytes(ofd_data)
    assert verify_ofd.main([str(path), "--public-key", str(key_file)]) == 0


def test_the_tool_prints_english_on_request(ofd_data, department_key, tmp_path, capsys):
    assert _tool(tmp_path, ofd_data, department_key, "--lang", "en") == 0
    assert capsys.readouterr().out.startswith("genuine: the seal is valid")
    tampered = _repack(ofd_data, _one_byte_changed)
    assert _tool(tmp_path, tampered, department_key, "--lang", "en") == 1
    output = capsys.readouterr().out
    assert f"digest mismatch: {PAGE_PATH} was changed after sealing" in output
    assert "摘要" not in output
    assert _tool(tmp_path, b"not a zip", department_key, "--lang", "en") == 2
    assert "cannot check: not an OFD file" in capsys.readouterr().err


def test_one_changed_page_byte_is_a_digest_mismatch_naming_the_page(
    ofd_data, department_key, tmp_path, capsys
):
    tampered = _repack(ofd_data, _one_byte_changed)
    check = ofd_check(data=tampered, public_key=department_key, authority_public_key=None)
    assert not check.is_genuine
    assert check.reason_code == "digest_mismatch"
    assert PAGE_PATH in check.problems[0]
    assert _tool(tmp_path, tampered, department_key) == 1
    output = capsys.readouterr().out
    assert "NOT genuine" in output and f"摘要不符：{PAGE_PATH}" in output


def test_an_added_part_is_reported_unsigned(ofd_data, department_key):
    source = zipfile.ZipFile(io.BytesIO(ofd_data))
    entries = {name: source.read(name) for name in source.namelist()}
    entries["Doc_0/Res/extra.png"] = b"\x89PNG"
    check = ofd_check(data=_zip(entries), public_key=department_key, authority_public_key=None)
    assert check.reason_code == "unsigned_part"
    assert "Doc_0/Res/extra.png" in check.problems[0]


def test_a_wrong_key_is_a_bad_signature(ofd_data, tmp_path, capsys):
    _private, other_key = sm2_key_generate()
    check = ofd_check(data=ofd_data, public_key=other_key, authority_public_key=None)
    assert check.reason_code == "bad_signature"
    assert "公钥不符" in check.problems[0]
    assert _tool(tmp_path, ofd_data, other_key) == 1
    assert "签名无效" in capsys.readouterr().out


def test_a_revoked_certificate_has_a_genuine_file_and_says_revoked(
    sealed, ofd_data, issuing_reviewer, api
):
    certificate_revoke(certificate=sealed.certificate, actor=issuing_reviewer, reason="吊销许可")
    result = ofd_upload_check(data=ofd_data)
    assert result.genuine
    assert result.status == "revoked"
    assert "已注销" in result.reason
    response = api.post(
        reverse(API), {"file": SimpleUploadedFile("c.ofd", ofd_data)}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["genuine"] is True


def _custom_seal(*, start, end, maker_private_key=None) -> SM2Seal:
    """A seal for department A made with the demo authority's certificate, valid from
    ``start`` to ``end``; signed by ``maker_private_key`` instead of the authority's key
    when given (a forged seal)."""
    authority_key_path, authority_public_path = authority_paths()
    authority_private = bytes.fromhex(authority_key_path.read_text())
    authority_public = bytes.fromhex(authority_public_path.read_text())
    authority_certificate = authority_certificate_path().read_bytes()
    private_key, public_key = sm2_key_generate()
    certificate = sm2_certificate_issue(
        subject={"common_name": "成都市市场监督管理局"},
        public_key=public_key,
        issuer_certificate=authority_certificate,
        issuer_private_key=authority_private,
        issuer_public_key=authority_public,
        not_before=start,
        not_after=end,
        is_authority=False,
    )
    picture = seal_picture_png("成都市市场监督管理局")
    seal_bytes = seal_build(
        seal_id="ACUSTOM",
        name="测试印章",
        signer_certificate=certificate,
        valid_start=start,
        valid_end=end,
        picture_png=picture,
        authority_private_key=maker_private_key or authority_private,
        authority_public_key=authority_public,
        authority_certificate=authority_certificate,
    )
    return SM2Seal(
        department_code="A",
        private_key=private_key,
        public_key=public_key,
        seal_bytes=seal_bytes,
        seal_id="ACUSTOM",
        valid_start=start,
        valid_end=end,
        picture_png=picture,
        certificate=certificate,
        holder="成都市市场监督管理局",
    )


def test_a_seal_expired_at_signing_time_is_reported(certificate, tmp_path, capsys):
    certificate_ofd_render_and_seal(certificate_id=certificate.pk)  # the authority exists
    now = dt.datetime.now(dt.UTC)
    seal = _custom_seal(start=now - dt.timedelta(days=400), end=now - dt.timedelta(days=30))
    data = ofd_build(sheet=certificate_ofd_sheet(certificate=certificate), seal=seal, signed_at=now)
    authority_public = authority_public_key()
    check = ofd_check(data=data, public_key=seal.public_key, authority_public_key=authority_public)
    assert check.reason_code == "seal_expired"
    assert "已过期" in check.problems[0]
    assert _tool(tmp_path, data, seal.public_key, "--authority-key", authority_public.hex()) == 1
    assert "签章时电子印章已过期" in capsys.readouterr().out


def test_a_seal_whose_authority_signature_is_wrong_is_refused(certificate, tmp_path, capsys):
    certificate_ofd_render_and_seal(certificate_id=certificate.pk)  # the authority exists
    now = dt.datetime.now(dt.UTC)
    forger, _forger_public = sm2_key_generate()
    seal = _custom_seal(
        start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=30), maker_private_key=forger
    )
    data = ofd_build(sheet=certificate_ofd_sheet(certificate=certificate), seal=seal, signed_at=now)
    authority_public = authority_public_key()
    check = ofd_check(data=data, public_key=seal.public_key, authority_public_key=authority_public)
    assert check.reason_code == "seal_invalid"
    assert check.problems == ["电子印章的制章签名无效：印章被改动。"]
    assert _tool(tmp_path, data, seal.public_key, "--authority-key", authority_public.hex()) == 1
    assert "电子印章的制章签名无效" in capsys.readouterr().out
    assert _tool(tmp_path, data, seal.public_key, "--lang", "en") == 1
    assert "the seal maker's signature is invalid" in capsys.readouterr().out


@pytest.mark.parametrize(
    "signed_value",
    [b"", b"not DER at all", b"\x30\x80\x02\x01\x04\x00\x00", b"\x30\x03\x02\x01\x04"],
    ids=["empty", "garbage", "ber-indefinite-length", "too-few-fields"],
)
def test_a_malformed_ses_signature_is_reported_clearly(
    ofd_data, department_key, tmp_path, capsys, signed_value
):
    broken = _repack(
        ofd_data, lambda name, content: signed_value if name == SIGNED_VALUE_PATH else content
    )
    check = ofd_check(data=broken, public_key=department_key, authority_public_key=None)
    assert not check.is_genuine
    assert check.reason_code == "malformed_signature"
    assert f"签名值「{SIGNED_VALUE_PATH}」不是GB/T 38540的电子签章数据" in check.problems[0]
    assert _tool(tmp_path, broken, department_key) == 1
    assert f"签名值 {SIGNED_VALUE_PATH} 不是有效的GB/T 38540电子签章（DER）" in (
        capsys.readouterr().out
    )
    assert _tool(tmp_path, broken, department_key, "--lang", "en") == 1
    assert "is not a valid GB/T 38540 SES_Signature (DER)" in capsys.readouterr().out


def test_a_changed_signature_description_is_a_digest_mismatch_naming_it(
    ofd_data, department_key, tmp_path, capsys
):
    def later(name, content):
        if name != SIGNATURE_PATH:
            return content
        return re.sub(rb"<ofd:SignatureDateTime>\d{4}", b"<ofd:SignatureDateTime>2099", content)

    tampered = _repack(ofd_data, later)
    check = ofd_check(data=tampered, public_key=department_key, authority_public_key=None)
    assert check.reason_code == "digest_mismatch"
    assert check.problems == [
        f"部件「{SIGNATURE_PATH}」的SM3摘要与签名时不符：该部分在签章后被修改。"
    ]
    assert _tool(tmp_path, tampered, department_key) == 1
    assert f"摘要不符：{SIGNATURE_PATH} 在签章后被修改" in capsys.readouterr().out


def test_a_seal_from_another_authority_is_refused(ofd_data, department_key):
    _private, stranger = sm2_key_generate()
    check = ofd_check(data=ofd_data, public_key=department_key, authority_public_key=stranger)
    assert check.reason_code == "seal_invalid"


def test_the_page_checks_an_uploaded_ofd(client, sealed, ofd_data):
    url = reverse("certificates:verify", args=[sealed.certificate.verification_token])
    response = client.post(url, {"pdf": SimpleUploadedFile("c.ofd", ofd_data)})
    assert response.status_code == 200
    assert "OFD文件与签发的电子证照一致" in response.content.decode()
    tampered = _repack(ofd_data, _one_byte_changed)
    response = client.post(url, {"pdf": SimpleUploadedFile("c.ofd", tampered)})
    page = response.content.decode()
    assert "OFD文件未通过核验" in page
    assert PAGE_PATH in page


def test_the_api_answers_for_an_ofd_and_a_pdf(api, sealed, ofd_data):
    from certificates.services.rendering import certificate_render_and_sign

    response = api.post(
        reverse(API), {"file": SimpleUploadedFile("c.ofd", ofd_data)}, format="multipart"
    )
    body = response.json()
    assert response.status_code == 200
    assert body["genuine"] is True
    assert body["number"] == sealed.certificate.number
    assert body["type"] == "食品经营许可证"
    assert body["status"] == "valid"
    signed = certificate_render_and_sign(certificate_id=sealed.certificate_id)
    with signed.pdf.open("rb") as handle:
        pdf = handle.read()
    response = api.post(
        reverse(API), {"file": SimpleUploadedFile("c.pdf", pdf)}, format="multipart"
    )
    assert response.json()["genuine"] is True
    assert response.json()["number"] == signed.number


def _nothing_changed(before):
    assert (
        OfdDocument.objects.count(),
        CaseEvent.objects.count(),
        Certificate.objects.count(),
    ) == before


@pytest.mark.parametrize(
    ("upload", "status_code", "message"),
    [
        (b"hello, not a document", 400, "这不是PDF文件，也不是OFD文件"),
        (b"PK\x03\x04 but no zip after all", 200, "压缩包已损坏"),
        (_zip({"../evil.xml": b"<x/>", "OFD.xml": b"<x/>"}), 200, "不安全的文件路径"),
        (_zip({"/etc/evil.xml": b"<x/>"}), 200, "不安全的文件路径"),
        (_zip({"OFD.xml": b"<x/>", "Doc_0/bomb.bin": bytes(60 * 1024 * 1024)}), 200, "压缩炸弹"),
    ],
    ids=["not-a-document", "broken-zip", "path-traversal", "absolute-path", "zip-bomb"],
)
def test_bad_uploads_get_a_clear_message_and_change_nothing(
    api, sealed, upload, status_code, message
):
    before = (OfdDocument.objects.count(), CaseEvent.objects.count(), Certificate.objects.count())
    response = api.post(
        reverse(API), {"file": SimpleUploadedFile("x.ofd", upload)}, format="multipart"
    )
    assert response.status_code == status_code
    assert message in response.content.decode()
    if status_code == 200:
        assert response.json()["genuine"] is False
    _nothing_changed(before)


def test_an_upload_over_the_size_limit_is_refused(api, sealed, client):
    before = (OfdDocument.objects.count(), CaseEvent.objects.count(), Certificate.objects.count())
    big = b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES)
    response = api.post(
        reverse(API), {"file": SimpleUploadedFile("x.ofd", big)}, format="multipart"
    )
    assert response.status_code == 400
    assert "文件太大" in response.content.decode()
    url = reverse("certificates:verify", args=[sealed.certificate.verification_token])
    page = client.post(url, {"pdf": SimpleUploadedFile("x.ofd", big)}).content.decode()
    assert "文件太大" in page
    _nothing_changed(before)


def test_the_tool_refuses_unusable_input(tmp_path, department_key, capsys):
    assert _tool(tmp_path, b"not a zip", department_key) == 2
    assert _tool(tmp_path, _zip({"../evil": b"x"}), department_key) == 2
    assert "不安全的文件路径" in capsys.readouterr().err
    path = tmp_path / "x.ofd"
    path.write_bytes(b"PK\x03\x04")
    assert verify_ofd.main([str(path), "--public-key", "zz"]) == 2
