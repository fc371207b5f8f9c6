"""Checking an OFD certificate: the package is safe to open, every signed part has the
SM3 digest the signature lists, the ``SES_Signature`` (GB/T 38540-2020) in
SignedValue.dat is well-formed DER, hashes the Signature.xml and verifies with the
department's key, and its seal was made by the trusted authority and valid when the
document was signed.

Nothing here touches the database: the caller says which public key to expect
(``certificates.services.ofd.ofd_upload_check`` looks it up from the certificate).
``tools/verify_ofd.py`` does the same checks standalone, for anyone offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from .package import OFD_NAMESPACE, SIGNED_VALUE_PATH
from .seal import SM2_SIGNATURE_OID, SM3_OID, sm2_verify, sm3_digest
from .ses import (
    CertInfoList,
    SesFormatError,
    SESSeal,
    SESSignature,
    bit_string_bytes,
    signature_load,
)
from .sm2_certificate import sm2_certificate_public_key, sm2_certificate_subject

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 500
NS = {"ofd": OFD_NAMESPACE}


class OfdPackageError(ValueError):
    """The upload is not a package we may open; ``code`` says which way."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class OfdCheck:
    """What a check of an OFD file found. ``is_genuine``: every check passed."""

    sha256: str
    is_genuine: bool = False
    reason_code: str = ""
    problems: list[str] = field(default_factory=list)
    custom_data: dict[str, str] = field(default_factory=dict)
    signed_at: dt.datetime | None = None
    seal_id: str = ""
    seal_holder: str = ""
    signer_public_key: bytes = b""

    def fail(self, code: str, message: str) -> OfdCheck:
        if not self.reason_code:
            self.reason_code = code
        self.problems.append(message)
        return self


def _safe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    if re.match(r"^[A-Za-z]:", name):
        return False
    return all(part not in ("..", "") for part in name.rstrip("/").split("/"))


def ofd_entries_read(data: bytes) -> dict[str, bytes]:
    """The package's files, refusing what could hurt whoever opens it: not a zip, too
    many or unsafe entry names (``../``, absolute, backslashes), or more uncompressed
    bytes than ``MAX_UNCOMPRESSED_BYTES`` (a zip bomb) — counted while reading, so a
    lying size field does not help."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise OfdPackageError(
            "too_large",
            _("文件太大：最大 %(max)d MB。") % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    if not data.startswith(b"PK\x03\x04"):
        raise OfdPackageError("not_ofd", _("这不是OFD文件（OFD文件是ZIP压缩包）。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise OfdPackageError(
            "not_ofd", _("这不是有效的OFD文件：压缩包已损坏（%(error)s）。") % {"error": error}
        ) from error
    if len(infos) > MAX_ENTRIES:
        raise OfdPackageError("too_many_entries", _("OFD包中的文件过多。"))
    entries: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if not _safe_name(info.filename):
            raise OfdPackageError(
                "unsafe_name",
                _("OFD包含有不安全的文件路径「%(name)s」，已拒绝。") % {"name": info.filename},
            )
        if info.is_dir():
            continue
        if info.filename in entries:
            raise OfdPackageError(
                "unsafe_name",
                _("OFD包中有重复的文件「%(name)s」，已拒绝。") % {"name": info.filename},
            )
        if total + info.file_size > MAX_UNCOMPRESSED_BYTES:
            raise OfdPackageError("zip_bomb", _("OFD包解压后过大，疑似压缩炸弹，已拒绝。"))
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_UNCOMPRESSED_BYTES - total + 1)
        except (zipfile.BadZipFile, OSError, ValueError, zlib.error, NotImplementedError) as error:
            raise OfdPackageError(
                "not_ofd",
                _("OFD包中的文件「%(name)s」无法解压（%(error)s）。")
                % {"name": info.filename, "error": error},
            ) from error
        total += len(content)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise OfdPackageError("zip_bomb", _("OFD包解压后过大，疑似压缩炸弹，已拒绝。"))
        entries[info.filename] = content
    return entries


def _xml(entries: dict[str, bytes], name: str) -> ElementTree.Element:
    data = entries.get(name)
    if data is None:
        raise OfdPackageError("not_ofd", _("OFD包中缺少「%(name)s」。") % {"name": name})
    # No DTDs at all: OFD has none, and they are how entity-expansion bombs get in.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise OfdPackageError("not_ofd", _("「%(name)s」含有不允许的DTD声明。") % {"name": name})
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise OfdPackageError(
            "not_ofd",
            _("「%(name)s」不是有效的XML（%(error)s）。") % {"name": name, "error": error},
        ) from error


def _resolve(base_file: str, location: str) -> str:
    """A location inside the package: absolute from the root, or relative to the file."""
    location = location.strip()
    if location.startswith("/"):
        resolved = posixpath.normpath(location.lstrip("/"))
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), location))
    if resolved.startswith("../") or resolved == "..":
        raise OfdPackageError("unsafe_name", _("OFD中的引用路径越出了文件包。"))
    return resolved


def ofd_custom_data(entries: dict[str, bytes]) -> dict[str, str]:
    root = _xml(entries, "OFD.xml")
    return {
        item.get("Name", ""): (item.text or "")
        for item in root.iterfind("ofd:DocBody/ofd:DocInfo/ofd:CustomDatas/ofd:CustomData", NS)
    }


def ofd_check(
    *, data: bytes, public_key: bytes | None, authority_public_key: bytes | None
) -> OfdCheck:
    """Check an OFD file. ``public_key``: the department's SM2 key the signature must
    verify with (``None``: only report who signed). ``authority_public_key``: the seal
    maker trusted (``None``: the seal's own maker key is only checked for consistency)."""
    check = OfdCheck(sha256=hashlib.sha256(data).hexdigest())
    try:
        entries = ofd_entries_read(data)
        check.custom_data = ofd_custom_data(entries)
        return _check_entries(check, entries, public_key, authority_public_key)
    except OfdPackageError as error:
        return check.fail(error.code, error.message)


def _check_entries(
    check: OfdCheck,
    entries: dict[str, bytes],
    public_key: bytes | None,
    authority_public_key: bytes | None,
) -> OfdCheck:
    root = _xml(entries, "OFD.xml")
    signatures_location = root.findtext("ofd:DocBody/ofd:Signatures", default="", namespaces=NS)
    if not signatures_location:
        return check.fail("no_signature", _("该OFD文件没有电子签章。"))
    signatures_path = _resolve("OFD.xml", signatures_location)
    listed = _xml(entries, signatures_path).findall("ofd:Signature", NS)
    if len(listed) != 1:
        return check.fail(
            "no_signature",
            _("文件中应恰有一个电子签章，实际为 %(count)d 个。") % {"count": len(listed)},
        )
    signature_path = _resolve(signatures_path, listed[0].get("BaseLoc", ""))
    signature_bytes = entries.get(signature_path)
    signature_root = _xml(entries, signature_path)
    signed_info = signature_root.find("ofd:SignedInfo", NS)
    if signed_info is None or signature_bytes is None:
        return check.fail("no_signature", _("签章描述文件不完整。"))
    method = signed_info.findtext("ofd:SignatureMethod", default="", namespaces=NS)
    if method.strip() != SM2_SIGNATURE_OID:
        return check.fail(
            "bad_signature", _("签名算法「%(method)s」不是SM2。") % {"method": method}
        )
    references = signed_info.find("ofd:References", NS)
    if references is None or references.get("CheckMethod", "").strip() != SM3_OID:
        return check.fail("bad_signature", _("签章的摘要算法不是SM3。"))
    signed_value_location = signature_root.findtext("ofd:SignedValue", default="", namespaces=NS)
    signed_value_path = _resolve(signature_path, signed_value_location or SIGNED_VALUE_PATH)
    _check_references(check, entries, references, signature_path, signed_value_path)
    seal_location = signed_info.findtext("ofd:Seal/ofd:BaseLoc", default="", namespaces=NS)
    seal_path = _resolve(signature_path, seal_location) if seal_location else ""
    if entries.get(seal_path) is None:
        return check.fail("seal_invalid", _("文件中没有电子印章。"))
    signed_value = entries.get(signed_value_path)
    if signed_value is None:
        return check.fail("bad_signature", _("文件中没有签名值。"))
    try:
        ses_signature = signature_load(signed_value)
    except SesFormatError as error:
        return check.fail(
            "malformed_signature",
            _("签名值「%(part)s」不是GB/T 38540的电子签章数据：%(error)s")
            % {"part": signed_value_path, "error": error},
        )
    _check_signature(
        check,
        ses_signature,
        signed=(signature_path, signature_bytes),
        seal=(seal_path, entries[seal_path]),
        keys=(public_key, authority_public_key),
    )
    check.is_genuine = not check.problems
    return check


def _check_references(
    check: OfdCheck,
    entries: dict[str, bytes],
    references: ElementTree.Element,
    signature_path: str,
    signed_value_path: str,
) -> None:
    """Every part listed has the SM3 digest the signature says, and no part is unlisted
    (but the signature's own Signature.xml and SignedValue.dat)."""
    covered = {signature_path, signed_value_path}
    for reference in references.findall("ofd:Reference", NS):
        part = _resolve(signature_path, reference.get("FileRef", ""))
        covered.add(part)
        content = entries.get(part)
        if content is None:
            check.fail(
                "digest_mismatch", _("签名覆盖的部件「%(part)s」在文件中不存在。") % {"part": part}
            )
            continue
        expected = (reference.findtext("ofd:CheckValue", default="", namespaces=NS)).strip()
        if base64.b64encode(sm3_digest(content)).decode("ascii") != expected:
            check.fail("digest_mismatch", _changed_part(part))
    for extra in sorted(set(entries) - covered):
        check.fail(
            "unsigned_part",
            _("文件「%(part)s」不在签名范围内：签章后被加入了内容。") % {"part": extra},
        )


def _changed_part(part: str) -> str:
    return _("部件「%(part)s」的SM3摘要与签名时不符：该部分在签章后被修改。") % {"part": part}


def _check_signature(
    check: OfdCheck,
    ses_signature: SESSignature,
    *,
    signed: tuple[str, bytes],
    seal: tuple[str, bytes],
    keys: tuple[bytes | None, bytes | None],
) -> None:
    """GB/T 38540-2020 §6's checks of an ``SES_Signature``: what it signs (dataHash and
    propertyInfo: the Signature.xml), the seal in it (the package's seal file, made by the
    trusted authority, valid at timeInfo), the signer's certificate (one the seal lists)
    and the SM2 signature over the TBS_Sign DER."""
    signature_path, signature_bytes = signed
    public_key, authority_public_key = keys
    to_sign = ses_signature["toSign"]
    check.signed_at = to_sign["timeInfo"].native
    if ses_signature["signatureAlgID"].dotted != SM2_SIGNATURE_OID:
        check.fail("bad_signature", _("电子签章的签名算法不是SM2。"))
        return
    if bit_string_bytes(to_sign["dataHash"]) != sm3_digest(signature_bytes):
        check.fail("digest_mismatch", _changed_part(signature_path))
    if _resolve("", to_sign["propertyInfo"].native) != signature_path:
        check.fail(
            "bad_signature",
            _("电子签章所签的文件「%(location)s」不是签章描述文件「%(part)s」。")
            % {"location": to_sign["propertyInfo"].native, "part": signature_path},
        )
    if to_sign["eseal"].dump() != seal[1]:
        check.fail(
            "seal_invalid",
            _("电子签章中的电子印章与印章文件「%(part)s」不一致。") % {"part": seal[0]},
        )
        return
    signer_certificates = _check_seal(check, to_sign["eseal"], authority_public_key)
    if signer_certificates is None:
        return
    signer_certificate = ses_signature["cert"].native
    if signer_certificate not in signer_certificates:
        check.fail("seal_invalid", _("签章者证书不在电子印章的签章者证书列表中。"))
        return
    try:
        signer_key = sm2_certificate_public_key(signer_certificate)
    except ValueError as error:
        check.fail("seal_invalid", _("电子印章中的证书无效：%(error)s") % {"error": error})
        return
    check.signer_public_key = signer_key
    expected_key = public_key if public_key is not None else signer_key
    if not sm2_verify(
        public_key=expected_key,
        message=to_sign.dump(),
        signature=bit_string_bytes(ses_signature["signature"]),
    ):
        check.fail(
            "bad_signature",
            _("SM2签名值与颁发部门的公钥不符：不是该部门签发的，或签章描述被改动。"),
        )
    elif public_key is not None and signer_key != public_key:
        check.fail("seal_invalid", _("电子印章中的公钥不是颁发部门的公钥。"))


def _check_seal(
    check: OfdCheck, seal: SESSeal, authority_public_key: bytes | None
) -> list[bytes] | None:
    """The seal's maker signature (GB/T 38540-2020 §5) and validity at the signing time;
    the signers' certificates it lists, or ``None`` when it is not to be trusted."""
    info = seal["esealInfo"]
    check.seal_id = info["esID"].native
    cert_list = info["property"].cert_list()
    if not isinstance(cert_list, CertInfoList) or not len(cert_list):
        check.fail("seal_invalid", _("电子印章中没有签章者证书。"))
        return None
    certificates = [item.native for item in cert_list]
    try:
        check.seal_holder = sm2_certificate_subject(certificates[0])
        maker_key = sm2_certificate_public_key(seal["cert"].native)
    except ValueError as error:
        check.fail("seal_invalid", _("电子印章中的证书无效：%(error)s") % {"error": error})
        return None
    if seal["signAlgID"].dotted != SM2_SIGNATURE_OID:
        check.fail("seal_invalid", _("电子印章的签名算法不是SM2。"))
        return None
    if authority_public_key is not None and maker_key != authority_public_key:
        check.fail("seal_invalid", _("电子印章不是由受信任的制章机构签发的。"))
        return None
    if not sm2_verify(
        public_key=maker_key,
        message=seal.signed_part(),
        signature=bit_string_bytes(seal["signedValue"]),
    ):
        check.fail("seal_invalid", _("电子印章的制章签名无效：印章被改动。"))
        return None
    valid_start = info["property"]["validStart"].native
    valid_end = info["property"]["validEnd"].native
    signed_at = check.signed_at
    if signed_at is None or signed_at > valid_end:
        check.fail(
            "seal_expired",
            _("签章时电子印章已过期（印章有效期至 %(end)s，签章时间 %(signed)s）。")
            % {
                "end": valid_end.date().isoformat(),
                "signed": signed_at.date().isoformat() if signed_at else "—",
            },
        )
    elif signed_at < valid_start:
        check.fail("seal_expired", _("签章时电子印章尚未生效。"))
    return certificates
