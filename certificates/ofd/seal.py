"""SM2 electronic seals (电子印章, after GB/T 38540) for the OFD certificates.

The curve arithmetic is GmSSL 3's, through ``gmssl_pyx`` (see docs/certificates-ofd.md for
why that library). Layout under ``settings.SEALS_DIR`` (outside the repository, beside
the RSA/ECDSA seals of the PDFs)::

    sm2/authority.key              the demo seal-making authority's private key (hex, 0600)
    sm2/authority.pub              its public key (hex, 04‖X‖Y) — what verifiers trust
    sm2/authority.crt              its self-signed SM2 X.509 certificate (DER)
    sm2/departments/<CODE>.key     the department's private key (hex, 0600)
    sm2/departments/<CODE>.pub     its public key (hex): the key a department publishes
    sm2/departments/<CODE>.esl     its seal: a DER ``SES_Seal`` of GB/T 38540-2020 (v4),
                                   signed by the authority, holding the department's
                                   SM2 certificate (issued by the authority) and picture

The ASN.1 structures are in ``ses.py``; ``seal_sign`` makes the ``SES_Signature`` that an
OFD's ``SignedValue.dat`` is.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from departments.models import Department

from ..exceptions import SealMissingError
from ..seals import _seals_lock, _write_private, _write_public
from .picture import SEAL_PICTURE_MM, seal_picture_png
from .ses import (
    SesFormatError,
    seal_assemble,
    seal_info_build,
    seal_load,
    signature_assemble,
    tbs_sign_build,
)
from .sm2_certificate import sm2_certificate_issue, sm2_certificate_subject

SM2_SIGNATURE_OID = "1.2.156.10197.1.501"  # SM2 signature with SM3 (GM/T 0006)
SM3_OID = "1.2.156.10197.1.401"
SIGNER_ID = b"1234567812345678"  # the default user ID of GB/T 35276
SES_VENDOR_ID = "OneWindow"  # SES_Header.vid: who implemented the seal system
SEAL_TYPE_OFFICIAL = 1  # SES_ESPropertyInfo.type: a unit's (not a person's) seal
AUTHORITY_VALIDITY = dt.timedelta(days=365 * 20)
SEAL_VALIDITY = dt.timedelta(days=365 * 5)


def sm3_digest(data: bytes) -> bytes:
    from gmssl_pyx import sm3_hash

    return sm3_hash(data)


def sm2_key_generate() -> tuple[bytes, bytes]:
    """A new key pair: (private key, 32 bytes; public key, 65 bytes 04‖X‖Y)."""
    from gmssl_pyx import sm2_key_generate as generate

    public_key, private_key = generate()
    return private_key, b"\x04" + public_key


def sm2_sign(*, private_key: bytes, public_key: bytes, message: bytes) -> bytes:
    """SM2 signature (DER r,s) over ``message`` with Z(ID) prepended, as GB/T 32918.2."""
    from gmssl_pyx import sm2_sign as sign

    return sign(private_key, public_key[-64:], message, SIGNER_ID)


def sm2_verify(*, public_key: bytes, message: bytes, signature: bytes) -> bool:
    from gmssl_pyx import GmsslInnerError
    from gmssl_pyx import sm2_verify as verify

    try:
        return bool(verify(public_key[-64:], message, signature, SIGNER_ID))
    except (GmsslInnerError, ValueError):
        return False


def public_key_parse(text: str) -> bytes:
    """A published public key: hex (04‖X‖Y or X‖Y), or a PEM SubjectPublicKeyInfo."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        der = base64.b64decode(body)
        point = der[-65:]
    else:
        point = bytes.fromhex(text)
    if len(point) == 64:
        point = b"\x04" + point
    if len(point) != 65 or point[0] != 4:
        raise ValueError(_("SM2公钥应为65字节的未压缩点（04开头）。"))
    return point


def public_key_pem(public_key: bytes) -> str:
    """The key as a PEM SubjectPublicKeyInfo (id-ecPublicKey, curve sm2p256v1)."""
    prefix = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
    body = base64.b64encode(prefix + public_key).decode("ascii")
    lines = [body[index : index + 64] for index in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def seal_build(
    *,
    seal_id: str,
    name: str,
    signer_certificate: bytes,
    valid_start: dt.datetime,
    valid_end: dt.datetime,
    picture_png: bytes,
    authority_private_key: bytes,
    authority_public_key: bytes,
    authority_certificate: bytes,
    created_at: dt.datetime | None = None,
) -> bytes:
    """The seal file (``Seal.esl``): a DER ``SES_Seal`` — what the seal is, whose (the
    holder's certificate in its certList), how long, its picture — signed by the
    seal-making authority over SEQUENCE { esealInfo, cert, signAlgID }."""
    seal_info = seal_info_build(
        vendor_id=SES_VENDOR_ID,
        seal_id=seal_id,
        seal_type=SEAL_TYPE_OFFICIAL,
        name=name,
        signer_certificates=[signer_certificate],
        created_at=created_at or valid_start,
        valid_start=valid_start,
        valid_end=valid_end,
        picture_png=picture_png,
        picture_mm=SEAL_PICTURE_MM,
    )
    return seal_assemble(
        seal_info=seal_info,
        maker_certificate=authority_certificate,
        algorithm=SM2_SIGNATURE_OID,
        sign=lambda message: sm2_sign(
            private_key=authority_private_key, public_key=authority_public_key, message=message
        ),
    )


@dataclass(frozen=True)
class SM2Seal:
    """What signing an OFD needs, loaded once per process (the key kept in memory)."""

    department_code: str
    private_key: bytes
    public_key: bytes
    seal_bytes: bytes
    seal_id: str
    valid_start: dt.datetime
    valid_end: dt.datetime
    picture_png: bytes
    certificate: bytes  # the holder's SM2 certificate, as in the seal's certList
    holder: str = ""


def seal_sign(*, seal: SM2Seal, signed_data: bytes, signed_at: dt.datetime, location: str) -> bytes:
    """The DER ``SES_Signature`` (GB/T 38540-2020 §6): a ``TBS_Sign`` of the seal, the
    signing time, the SM3 of ``signed_data`` (in an OFD, the Signature.xml, GB/T 33190
    §18) and its ``location`` (propertyInfo), signed by the seal holder with SM2 (Z with
    the default ID) over the ``TBS_Sign`` DER."""
    to_sign = tbs_sign_build(
        seal_der=seal.seal_bytes,
        signed_at=signed_at,
        data_hash=sm3_digest(signed_data),
        property_info=location,
    )
    signature = sm2_sign(
        private_key=seal.private_key, public_key=seal.public_key, message=to_sign.dump()
    )
    return signature_assemble(
        to_sign=to_sign,
        signer_certificate=seal.certificate,
        algorithm=SM2_SIGNATURE_OID,
        signature=signature,
    )


def sm2_dir() -> Path:
    return Path(settings.SEALS_DIR) / "sm2"


def authority_paths() -> tuple[Path, Path]:
    return sm2_dir() / "authority.key", sm2_dir() / "authority.pub"


def authority_certificate_path() -> Path:
    return sm2_dir() / "authority.crt"


def department_paths(code: str) -> tuple[Path, Path, Path]:
    if not re.fullmatch(r"[A-Z]{1,2}", code):
        raise SealMissingError(_("部门代码「%(code)s」无效，无法找到电子印章。") % {"code": code})
    base = sm2_dir() / "departments"
    return base / f"{code}.key", base / f"{code}.pub", base / f"{code}.esl"


def authority_public_key() -> bytes | None:
    """The seal-making authority's public key that this installation trusts."""
    path = authority_paths()[1]
    return bytes.fromhex(path.read_text().strip()) if path.exists() else None


def department_public_key(*, department_code: str) -> bytes | None:
    """The department's published SM2 public key, or ``None`` if it has no SM2 seal."""
    path = department_paths(department_code)[1]
    return bytes.fromhex(path.read_text().strip()) if path.exists() else None


def _ensure_authority(now: dt.datetime) -> tuple[bytes, bytes, bytes]:
    """The demo authority's key pair and self-signed certificate, made if missing (an
    installation from before the DER seals has the keys but no certificate yet)."""
    key_path, public_path = authority_paths()
    if not key_path.exists():
        private_key, public_key = sm2_key_generate()
        _write_private(key_path, private_key.hex().encode())
        _write_public(public_path, public_key.hex().encode())
    private_key = bytes.fromhex(key_path.read_text().strip())
    public_key = bytes.fromhex(public_path.read_text().strip())
    certificate_path = authority_certificate_path()
    if not certificate_path.exists():
        certificate = sm2_certificate_issue(
            subject={
                "country_name": "CN",
                "organization_name": "OneWindow",
                "common_name": _("OneWindow演示电子印章制章机构"),
            },
            public_key=public_key,
            issuer_certificate=None,
            issuer_private_key=private_key,
            issuer_public_key=public_key,
            not_before=now - dt.timedelta(days=1),
            not_after=now + AUTHORITY_VALIDITY,
            is_authority=True,
        )
        _write_public(certificate_path, certificate)
    return private_key, public_key, certificate_path.read_bytes()


def _seal_holder_is_current(seal: SM2Seal, department: Department) -> bool:
    return seal.holder == department.name


def sm2_seal_issue(*, department: Department, now: dt.datetime | None = None) -> None:
    """Make the department a new key pair, an SM2 certificate issued by the demo
    authority, and a seal holding it, signed by that authority."""
    now = now or dt.datetime.now(dt.UTC)
    with _seals_lock():
        authority_private, authority_public, authority_certificate = _ensure_authority(now)
        private_key, public_key = sm2_key_generate()
        valid_start, valid_end = now - dt.timedelta(days=1), now + SEAL_VALIDITY
        subject = {
            "country_name": "CN",
            "organization_name": department.name,
            "common_name": department.name,
        }
        if department.credit_code:
            subject["serial_number"] = department.credit_code
        certificate = sm2_certificate_issue(
            subject=subject,
            public_key=public_key,
            issuer_certificate=authority_certificate,
            issuer_private_key=authority_private,
            issuer_public_key=authority_public,
            not_before=valid_start,
            not_after=valid_end,
            is_authority=False,
        )
        seal_bytes = seal_build(
            seal_id=f"{department.code}{now:%Y%m%d}{secrets.token_hex(4).upper()}",
            name=_("%(name)s电子证照专用章") % {"name": department.name},
            signer_certificate=certificate,
            valid_start=valid_start,
            valid_end=valid_end,
            picture_png=seal_picture_png(department.name),
            authority_private_key=authority_private,
            authority_public_key=authority_public,
            authority_certificate=authority_certificate,
            created_at=now,
        )
        key_path, public_path, seal_path = department_paths(department.code)
        _write_private(key_path, private_key.hex().encode())
        _write_public(public_path, public_key.hex().encode())
        _write_public(seal_path, seal_bytes)


_cache_lock = threading.Lock()


@lru_cache(maxsize=256)
def _seal_load(code: str, key_path: str, stamp: tuple[int, int]) -> SM2Seal:
    key_file, public_file, seal_file = (Path(path) for path in department_paths(code))
    seal_bytes = seal_file.read_bytes()
    seal = seal_load(seal_bytes)
    info = seal["esealInfo"]
    certificate = info["property"].cert_list()[0].native
    return SM2Seal(
        department_code=code,
        private_key=bytes.fromhex(key_file.read_text().strip()),
        public_key=bytes.fromhex(public_file.read_text().strip()),
        seal_bytes=seal_bytes,
        seal_id=info["esID"].native,
        valid_start=info["property"]["validStart"].native,
        valid_end=info["property"]["validEnd"].native,
        picture_png=info["picture"]["data"].native,
        certificate=certificate,
        holder=sm2_certificate_subject(certificate),
    )


def _seal_usable(
    code: str, key_path: Path, seal_path: Path, department: Department, now: dt.datetime
) -> SM2Seal | None:
    """The department's current seal, or ``None`` if it is missing, expired, names the
    department by an old name, or is not a DER ``SES_Seal`` (a seal file of before)."""
    if not (key_path.exists() and seal_path.exists()):
        return None
    try:
        seal = _seal_cached(code, key_path, seal_path)
    except (SesFormatError, ValueError, IndexError):
        return None
    if seal.valid_end > now and _seal_holder_is_current(seal, department):
        return seal
    return None


def sm2_seal_for_department(*, department: Department, create_if_missing: bool) -> SM2Seal:
    """The department's SM2 seal, loaded once per process and reloaded when its files
    change. In the demo set-up a missing, renamed-holder, expired or old-format seal is
    made anew; otherwise ``SealMissingError`` says what to install."""
    key_path, _public_path, seal_path = department_paths(department.code)
    now = dt.datetime.now(dt.UTC)
    seal = _seal_usable(department.code, key_path, seal_path, department, now)
    if seal is not None:
        return seal
    if not create_if_missing:
        raise SealMissingError(
            _(
                "部门「%(name)s」（%(code)s）没有有效的SM2电子印章，无法签发OFD电子证照。"
                "请运行 python manage.py init_seals，或把正式印章放入 %(path)s。"
            )
            % {"name": department.name, "code": department.code, "path": sm2_dir()}
        )
    sm2_seal_issue(department=department, now=now)
    return _seal_cached(department.code, key_path, seal_path)


def _seal_cached(code: str, key_path: Path, seal_path: Path) -> SM2Seal:
    stat = seal_path.stat()
    with _cache_lock:
        return _seal_load(code, str(key_path), (stat.st_mtime_ns, stat.st_ino))


def sm2_seals_init(*, departments: list[Department] | None = None) -> dict[str, list[str]]:
    """An SM2 key pair and seal for every department that has no current one (missing,
    expired, naming the department by an old name, or not yet a DER ``SES_Seal``).
    Idempotent: a second run makes nothing. Returns ``{"created": [codes], "renewed":
    [codes], "kept": [codes]}``."""
    if departments is None:
        departments = list(Department.objects.order_by("code"))
    report: dict[str, list[str]] = {"created": [], "renewed": [], "kept": []}
    now = dt.datetime.now(dt.UTC)
    for department in departments:
        key_path, _public_path, seal_path = department_paths(department.code)
        if _seal_usable(department.code, key_path, seal_path, department, now) is not None:
            report["kept"].append(department.code)
            continue
        present = key_path.exists() and seal_path.exists()
        report["renewed" if present else "created"].append(department.code)
        sm2_seal_issue(department=department, now=now)
    return report
