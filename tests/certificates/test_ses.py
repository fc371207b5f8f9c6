"""GB/T 38540-2020 structures of the OFD seal: Seal.esl is a DER ``SES_Seal`` v4 signed by
the seal-making authority, SignedValue.dat a DER ``SES_Signature`` v4 over the
Signature.xml, the certificates are SM2 X.509 — each checked with the independent
pure-Python SM2/SM3 implementation (gmssl), not only with our own code."""

import io
import zipfile

import pytest
from asn1crypto import algos, x509
from gmssl import sm2 as pure_sm2
from gmssl import sm3 as pure_sm3

from certificates.ofd.package import SEAL_PATH, SIGNATURE_PATH, SIGNED_VALUE_PATH
from certificates.ofd.seal import (
    authority_certificate_path,
    authority_public_key,
    department_paths,
    department_public_key,
    sm2_seal_for_department,
    sm2_seals_init,
)
from certificates.ofd.ses import SesFormatError, bit_string_bytes, seal_load, signature_load
from certificates.services.ofd import certificate_ofd_render_and_seal


@pytest.fixture
def sealed(certificate):
    return certificate_ofd_render_and_seal(certificate_id=certificate.pk)


@pytest.fixture
def parts(sealed):
    with sealed.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    return {name: archive.read(name) for name in archive.namelist()}


def _pure_verify(public_key: bytes, message: bytes, der_signature: bytes) -> bool:
    """SM2 (Z with ID 1234567812345678) by the independent implementation."""
    numbers = algos.DSASignature.load(der_signature).native
    rs = numbers["r"].to_bytes(32, "big") + numbers["s"].to_bytes(32, "big")
    crypt = pure_sm2.CryptSM2(private_key="", public_key="")
    # Set after construction: gmssl's constructor takes the key through lstrip("04"), which
    # also eats an X coordinate's leading 0s and 4s (one key in eight, a flaky test).
    crypt.public_key = public_key[1:].hex()
    return bool(crypt.verify_with_sm3(rs.hex(), message))


def _pure_sm3(data: bytes) -> bytes:
    return bytes.fromhex(pure_sm3.sm3_hash(list(data)))


def _certificate_key(certificate: bytes) -> bytes:
    return bytes(x509.Certificate.load(certificate).public_key["public_key"].native)


def test_the_seal_file_is_a_der_ses_seal_signed_by_the_authority(sealed, parts):
    seal = seal_load(parts[SEAL_PATH])
    info = seal["esealInfo"]
    assert info["header"].native == {"id": "ES", "version": 4, "vid": "OneWindow"}
    assert info["esID"].native == sealed.seal_id
    properties = info["property"]
    assert properties["type"].native == 1
    assert properties["name"].native == "成都市市场监督管理局电子证照专用章"
    assert properties["certListType"].native == 1
    assert properties["validStart"].native < sealed.signed_at < properties["validEnd"].native
    picture = info["picture"].native
    assert (picture["type"], picture["width"], picture["height"]) == ("png", 40, 40)
    assert picture["data"] == parts["Doc_0/Res/seal.png"]
    maker_certificate = seal["cert"].native
    assert maker_certificate == authority_certificate_path().read_bytes()
    assert _certificate_key(maker_certificate) == authority_public_key()
    assert seal["signAlgID"].dotted == "1.2.156.10197.1.501"
    # The maker signs SEQUENCE { esealInfo, cert, signAlgID }, not esealInfo alone.
    signed_part = seal.signed_part()
    assert signed_part[0] == 0x30
    assert signed_part.endswith(info.dump() + seal["cert"].dump() + seal["signAlgID"].dump())
    signature = bit_string_bytes(seal["signedValue"])
    assert _pure_verify(authority_public_key(), signed_part, signature)
    assert not _pure_verify(authority_public_key(), info.dump(), signature)


def test_the_signed_value_is_a_der_ses_signature_over_the_signature_xml(sealed, parts):
    signature = signature_load(parts[SIGNED_VALUE_PATH])
    to_sign = signature["toSign"]
    assert to_sign["version"].native == 4
    assert to_sign["eseal"].dump() == parts[SEAL_PATH]
    assert to_sign["timeInfo"].native == sealed.signed_at.replace(microsecond=0)
    assert bit_string_bytes(to_sign["dataHash"]) == _pure_sm3(parts[SIGNATURE_PATH])
    assert to_sign["propertyInfo"].native == f"/{SIGNATURE_PATH}"
    assert signature["signatureAlgID"].dotted == "1.2.156.10197.1.501"
    assert "extDatas" not in to_sign.native or to_sign["extDatas"].native is None
    signer_certificate = signature["cert"].native
    listed = [item.native for item in to_sign["eseal"]["esealInfo"]["property"].cert_list()]
    assert listed == [signer_certificate]
    department_key = department_public_key(department_code="A")
    assert _certificate_key(signer_certificate) == department_key
    value = bit_string_bytes(signature["signature"])
    assert _pure_verify(department_key, to_sign.dump(), value)
    # DER: encoding the decoded structure again gives the very same bytes.
    assert signature.dump(force=True) == parts[SIGNED_VALUE_PATH]


def test_the_certificates_are_sm2_x509_issued_by_the_authority(sealed, parts):
    authority = x509.Certificate.load(authority_certificate_path().read_bytes())
    signer = x509.Certificate.load(signature_load(parts[SIGNED_VALUE_PATH])["cert"].native)
    assert authority.ca and not signer.ca
    assert signer.issuer == authority.subject
    assert signer.subject.native["common_name"] == "成都市市场监督管理局"
    assert signer.public_key["algorithm"]["parameters"].chosen.dotted == "1.2.156.10197.1.301"
    for certificate in (authority, signer):
        assert certificate["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.501"
        assert _pure_verify(
            authority_public_key(),
            certificate["tbs_certificate"].dump(),
            certificate["signature_value"].native,
        )


def _non_minimal_length(der: bytes) -> bytes:
    # The outer length 0x82 HH LL again as 0x83 00 HH LL: valid BER, not DER.
    assert der[1] == 0x82
    return der[:1] + b"\x83\x00" + der[2:]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda der: der[:-1], "不是有效的DER编码"),
        (lambda der: der + b"\x00", "不是有效的DER编码"),
        (_non_minimal_length, "不是规范的DER编码"),
        (lambda der: der.replace(b"\x02\x01\x04", b"\x02\x01\x03", 1), "版本不是 v4"),
    ],
    ids=["truncated", "trailing-byte", "non-minimal-length", "version-3"],
)
def test_malformed_ses_signatures_are_refused_with_a_reason(parts, change, message):
    with pytest.raises(SesFormatError, match=message):
        signature_load(change(parts[SIGNED_VALUE_PATH]))


def test_a_seal_with_a_wrong_header_is_refused(parts):
    changed = parts[SEAL_PATH].replace(b"\x16\x02ES", b"\x16\x02EX", 1)
    with pytest.raises(SesFormatError, match="头信息"):
        seal_load(changed)


def test_a_seal_file_of_the_earlier_xml_format_is_renewed(issuing_department):
    seal = sm2_seal_for_department(department=issuing_department, create_if_missing=True)
    _key_path, _public_path, seal_path = department_paths(issuing_department.code)
    seal_path.write_bytes(b'<?xml version="1.0"?><SES_Seal Version="4"><SealInfo/></SES_Seal>')
    assert sm2_seals_init(departments=[issuing_department])["renewed"] == ["A"]
    renewed = sm2_seal_for_department(department=issuing_department, create_if_missing=False)
    assert renewed.seal_id != seal.seal_id
    assert seal_load(seal_path.read_bytes())["esealInfo"]["esID"].native == renewed.seal_id
    assert sm2_seals_init(departments=[issuing_department])["kept"] == ["A"]
