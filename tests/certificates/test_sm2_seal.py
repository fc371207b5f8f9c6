"""SM2/SM3 through the chosen library (gmssl_pyx, GmSSL 3): the standards' test vectors,
round trips, and agreement with an independent pure-Python implementation (gmssl)."""

import datetime as dt

import pytest

from certificates.ofd.seal import (
    SIGNER_ID,
    public_key_parse,
    public_key_pem,
    seal_picture_png,
    sm2_key_generate,
    sm2_seal_for_department,
    sm2_sign,
    sm2_verify,
    sm3_digest,
)
from tests.factories import DepartmentFactory

# GB/T 32918.5-2017 (GM/T 0003.5-2012) Annex A.2: signature on the recommended curve.
VECTOR_PRIVATE = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
VECTOR_PUBLIC = (
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
VECTOR_MESSAGE = b"message digest"
VECTOR_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
VECTOR_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
VECTOR_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
VECTOR_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
SM2_A = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
SM2_B = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
SM2_GX = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
SM2_GY = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"


def _der_integer(value: bytes) -> bytes:
    value = value.lstrip(b"\x00") or b"\x00"
    if value[0] & 0x80:
        value = b"\x00" + value
    return b"\x02" + bytes([len(value)]) + value


def _der_signature(r_hex: str, s_hex: str) -> bytes:
    body = _der_integer(bytes.fromhex(r_hex)) + _der_integer(bytes.fromhex(s_hex))
    return b"\x30" + bytes([len(body)]) + body


def test_sm3_matches_the_gb_t_32905_examples():
    assert sm3_digest(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert sm3_digest(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_the_z_value_and_message_digest_match_the_standard_example():
    z_input = (
        len(SIGNER_ID * 8).to_bytes(2, "big")
        + SIGNER_ID
        + bytes.fromhex(SM2_A + SM2_B + SM2_GX + SM2_GY + VECTOR_PUBLIC)
    )
    z = sm3_digest(z_input)
    assert sm3_digest(z + VECTOR_MESSAGE).hex().upper() == VECTOR_E


def test_the_standard_signature_verifies_and_a_changed_one_does_not():
    public_key = bytes.fromhex("04" + VECTOR_PUBLIC)
    signature = _der_signature(VECTOR_R, VECTOR_S)
    assert sm2_verify(public_key=public_key, message=VECTOR_MESSAGE, signature=signature)
    assert not sm2_verify(public_key=public_key, message=b"message digesT", signature=signature)
    other_s = VECTOR_S[:-1] + ("B" if VECTOR_S[-1] != "B" else "C")
    assert not sm2_verify(
        public_key=public_key, message=VECTOR_MESSAGE, signature=_der_signature(VECTOR_R, other_s)
    )


def test_the_independent_implementation_reproduces_the_standard_signature():
    # With the standard's k the signature is deterministic: (r, s) of Annex A.2 exactly.
    from gmssl import sm2 as pure_sm2

    crypt = pure_sm2.CryptSM2(private_key=VECTOR_PRIVATE, public_key=VECTOR_PUBLIC)
    assert crypt.sign(bytes.fromhex(VECTOR_E), VECTOR_K).upper() == VECTOR_R + VECTOR_S


def test_round_trip_and_wrong_key():
    private_key, public_key = sm2_key_generate()
    _other_private, other_public = sm2_key_generate()
    message = "电子证照 FOOD-2026-000001".encode()
    signature = sm2_sign(private_key=private_key, public_key=public_key, message=message)
    assert sm2_verify(public_key=public_key, message=message, signature=signature)
    assert not sm2_verify(public_key=other_public, message=message, signature=signature)
    assert not sm2_verify(public_key=public_key, message=message + b"!", signature=signature)
    assert not sm2_verify(public_key=public_key, message=message, signature=b"\x30\x00")


def test_our_signatures_verify_in_the_independent_implementation():
    from gmssl import sm2 as pure_sm2

    private_key, public_key = sm2_key_generate()
    message = b"OneWindow OFD Signature.xml"
    signature = sm2_sign(private_key=private_key, public_key=public_key, message=message)
    # DER SEQUENCE { r, s } to the r||s hex the pure implementation takes.
    r_length = signature[3]
    r = signature[4 : 4 + r_length]
    s = signature[6 + r_length :]
    rs = r.lstrip(b"\x00").rjust(32, b"\x00") + s.lstrip(b"\x00").rjust(32, b"\x00")
    crypt = pure_sm2.CryptSM2(private_key=private_key.hex(), public_key="")
    crypt.public_key = public_key[1:].hex()  # its constructor's lstrip("04") eats leading 0s and 4s
    assert crypt.verify_with_sm3(rs.hex(), message)


def test_public_keys_read_back_from_hex_and_pem():
    _private, public_key = sm2_key_generate()
    assert public_key_parse(public_key.hex()) == public_key
    assert public_key_parse(public_key[1:].hex()) == public_key
    assert public_key_parse(public_key_pem(public_key)) == public_key
    with pytest.raises(ValueError):
        public_key_parse("04abcd")


@pytest.mark.django_db
def test_each_department_gets_its_own_seal_kept_outside_the_repository(settings):
    first = DepartmentFactory(
        code="SA", name="成都市市场监督管理局", credit_code="11510100MB00153032"
    )
    second = DepartmentFactory(code="SB", name="成都市公安局")
    seal = sm2_seal_for_department(department=first, create_if_missing=True)
    assert sm2_seal_for_department(department=first, create_if_missing=True) == seal
    other = sm2_seal_for_department(department=second, create_if_missing=True)
    assert other.public_key != seal.public_key
    assert str(settings.SEALS_DIR) not in str(settings.BASE_DIR)
    key_file = f"{settings.SEALS_DIR}/sm2/departments/SA.key"
    import os
    import stat

    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "成都市市场监督管理局".encode() in seal.seal_bytes
    assert seal.valid_start < dt.datetime.now(dt.UTC) < seal.valid_end
    assert seal.picture_png.startswith(b"\x89PNG")


@pytest.mark.django_db
def test_a_missing_seal_is_not_made_up_outside_the_demo():
    from certificates.exceptions import SealMissingError

    department = DepartmentFactory(code="SC", name="成都市税务局")
    with pytest.raises(SealMissingError, match="init_seals"):
        sm2_seal_for_department(department=department, create_if_missing=False)


def test_the_seal_picture_is_a_png():
    assert seal_picture_png("成都市市场监督管理局").startswith(b"\x89PNG\r\n\x1a\n")
