#!/usr/bin/env python3
"""Check a OneWindow OFD certificate offline against the issuing department's SM2 key.

    python tools/verify_ofd.py licence.ofd --public-key KEY [--authority-key KEY] [--lang en]

``KEY`` is the department's published SM2 public key: hex (``04``‖X‖Y, or X‖Y), a PEM
SubjectPublicKeyInfo, or a file holding either. ``--authority-key`` is the seal-making
authority's key; without it the seal's own maker signature is still checked, but not who
made it. ``--lang en`` prints the reasons in English (default: Chinese). Needs only the
standard library, ``gmssl_pyx`` (GmSSL 3's SM2/SM3) and ``asn1crypto``'s DER reader.

Prints ``genuine`` or ``NOT genuine`` with every reason found (a digest mismatch names
the part, a bad signature, a seal expired at signing time...), then the licence fields
the file carries. Exit status: 0 genuine, 1 not genuine, 2 unusable input (not an OFD
package, unsafe entry names, a zip bomb, an unreadable key).

What is checked (docs/certificates-ofd.md): the package opens safely (≤ 50 MB
uncompressed, no ``..``/absolute names, no DTDs); OFD.xml → Signatures.xml → the one
Signature.xml; its References (SM3) match every listed part, and no part is unsigned;
SignedValue.dat is a DER ``SES_Signature`` of GB/T 38540-2020 (v4) whose dataHash is the
SM3 of Signature.xml; the seal in it is the package's Seal.esl, signed by its maker over
SEQUENCE { esealInfo, cert, signAlgID } and valid at timeInfo; the signer's certificate
is one the seal lists; the SM2 signature (Z with ID 1234567812345678) over the TBS_Sign
DER verifies with the given key.

Written apart from the project's implementation on purpose (it walks the DER itself
rather than using the project's ASN.1 classes): anyone can read this file alone and
check a certificate, and it cross-checks the project's encoding.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import posixpath
import re
import sys
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

NS = {"ofd": "http://www.ofdspec.org/2016"}
SM2_OID = "1.2.156.10197.1.501"
SM2_OID_DER = bytes.fromhex("2a811ccf55018375")  # the contents of that OID's DER
SM3_OID = "1.2.156.10197.1.401"
SIGNER_ID = b"1234567812345678"
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ENTRIES = 500
INTEGER, BIT_STRING, OCTET_STRING, OID, SEQUENCE, IA5, GENERALIZED_TIME = 2, 3, 4, 6, 16, 22, 24

# Every message in Chinese and English: key | 中文 | English.
MESSAGES = {
    key: (chinese, english)
    for key, chinese, english in (
        line.split(" | ")
        for line in """
key | 公钥无法读取：{error} | the public key cannot be read: {error}
key_point | 公钥应为SM2未压缩点（65字节，04开头） | the key must be an SM2 point (65 bytes, 04…)
not_zip | 不是OFD文件（不是有效的ZIP包）：{error} | not an OFD file (not a valid ZIP): {error}
not_ofd | 不是OFD文件（OFD文件是ZIP包） | not an OFD file (an OFD is a ZIP package)
entries | 包中文件过多 | too many files in the package
unsafe | 不安全的文件路径：{name} | unsafe entry name: {name}
duplicate | 重复的文件：{name} | duplicate entry: {name}
inflate | {name} 无法解压：{error} | {name} cannot be decompressed: {error}
bomb | 解压后过大，疑似压缩炸弹 | too large when decompressed (a zip bomb?)
missing | 缺少 {name} | {name} is missing
dtd | {name} 含有DTD声明 | {name} has a DTD
xml | {name} 不是有效的XML：{error} | {name} is not valid XML: {error}
outside | 引用越出文件包：{location} | a reference leaves the package: {location}
no_signature | 没有电子签章 | no electronic signature
signature_count | 应恰有一个电子签章，实际为 {count} 个 | expected one signature, found {count}
incomplete | 签章描述文件不完整 | the signature description is incomplete
not_sm2 | 签名算法不是SM2 | the signature algorithm is not SM2
not_sm3 | 摘要算法不是SM3 | the digest algorithm is not SM3
part_missing | 签名覆盖的部件 {part} 不存在 | signed part {part} is missing
digest | 摘要不符：{part} 在签章后被修改 | digest mismatch: {part} was changed after sealing
unsigned | 未签名的部件：{part} | unsigned part: {part}
no_seal | 没有电子印章 | no electronic seal
no_value | 没有签名值 | no signature value
malformed | 签名值 {part} 不是有效的GB/T 38540电子签章（DER）：{error} | {part} is not a valid GB/T 38540 SES_Signature (DER): {error}
property | 电子签章所签的文件不是 {part} | the signature is not over {part}
seal_differs | 签章中的电子印章与 {part} 不一致 | the seal in the signature differs from {part}
seal_authority | 电子印章不是由给定的制章机构签发的 | the seal was not made by the given authority
seal_signature | 电子印章的制章签名无效 | the seal maker's signature is invalid
seal_expired | 签章时电子印章已过期（有效期至 {end:%Y-%m-%d}，签章于 {signed:%Y-%m-%d}） | the seal had expired when signing (valid to {end:%Y-%m-%d}, signed {signed:%Y-%m-%d})
seal_early | 签章时电子印章尚未生效 | the seal was not yet valid when signing
signer_unlisted | 签章者证书不在电子印章的证书列表中 | the signer's certificate is not in the seal
bad_signature | 签名无效：SM2签名值与给定的公钥不符 | invalid signature: not by the given key
genuine | genuine / 真实有效：签章有效，文件自签章后未被修改 | genuine: the seal is valid and the file is unchanged since sealing
not_genuine | NOT genuine / 未通过核验 | NOT genuine
unusable | 无法核验：{error} | cannot check: {error}
""".strip().splitlines()
    )
}
Problem = tuple[str, dict[str, object]]


def say(key: str, lang: str, **params: object) -> str:
    return MESSAGES[key][lang == "en"].format(**params)


class Unusable(Exception):
    """The input cannot be checked at all."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


class Malformed(ValueError):
    """SignedValue.dat or the seal in it is not the DER structure GB/T 38540 defines."""


def sm3(data: bytes) -> bytes:
    from gmssl_pyx import sm3_hash

    return sm3_hash(data)


def sm2_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    from gmssl_pyx import GmsslInnerError
    from gmssl_pyx import sm2_verify as verify

    try:
        return bool(verify(public_key[-64:], message, signature, SIGNER_ID))
    except (GmsslInnerError, ValueError):
        return False


def parse_key(text: str) -> bytes:
    if not text.strip().startswith("-----") and Path(text).is_file():
        text = Path(text).read_text()
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
            point = base64.b64decode(body)[-65:]
        else:
            point = bytes.fromhex(text)
    except ValueError as error:
        raise Unusable("key", error=error) from error
    if len(point) == 64:
        point = b"\x04" + point
    if len(point) != 65 or point[0] != 4:
        raise Unusable("key_point")
    return point


def read_package(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Unusable("not_zip", error=error) from error
    if len(infos) > MAX_ENTRIES:
        raise Unusable("entries")
    entries: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = name.rstrip("/").split("/")
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or "\x00" in name
            or re.match(r"^[A-Za-z]:", name)
            or any(part in ("..", "") for part in parts)
        ):
            raise Unusable("unsafe", name=repr(name))
        if info.is_dir():
            continue
        if name in entries:
            raise Unusable("duplicate", name=repr(name))
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_UNCOMPRESSED - total + 1)
        except (zipfile.BadZipFile, OSError, ValueError, zlib.error) as error:
            raise Unusable("inflate", name=name, error=error) from error
        total += len(content)
        if total > MAX_UNCOMPRESSED:
            raise Unusable("bomb")
        entries[name] = content
    return entries


def xml(entries: dict[str, bytes], name: str) -> ElementTree.Element:
    data = entries.get(name)
    if data is None:
        raise Unusable("missing", name=name)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Unusable("dtd", name=name)
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise Unusable("xml", name=name, error=error) from error


def resolve(base: str, location: str) -> str:
    location = location.strip()
    if location.startswith("/"):
        path = posixpath.normpath(location.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(base), location))
    if path == ".." or path.startswith("../"):
        raise Unusable("outside", location=location)
    return path


# -- DER, read with asn1crypto's TLV parser; the structures are walked here --------------


def der(data: bytes, tag: int) -> bytes:
    """The contents of ``data``, one DER element of universal ``tag``, nothing after it."""
    from asn1crypto import parser

    try:
        class_, method, found, _header, contents, _trailer = parser.parse(data, strict=True)
    except ValueError as error:
        raise Malformed(str(error).splitlines()[0][:120]) from error
    if (class_, found) != (0, tag):
        raise Malformed(f"expected universal tag {tag}, found class {class_} tag {found}")
    if parser.emit(class_, method, found, contents) != data:
        raise Malformed("not DER (indefinite or non-minimal length)")
    return contents


def fields(data: bytes, count: int) -> list[bytes]:
    """The first ``count`` elements (whole TLVs) of the SEQUENCE ``data``."""
    from asn1crypto import parser

    rest, items = der(data, SEQUENCE), []
    while rest:
        try:
            parsed = parser.parse(rest)
        except ValueError as error:
            raise Malformed(str(error).splitlines()[0][:120]) from error
        size = len(parsed[3]) + len(parsed[4]) + len(parsed[5])
        items.append(rest[:size])
        rest = rest[size:]
    if len(items) < count:
        raise Malformed(f"a SEQUENCE has {len(items)} fields, expected {count}")
    return items


def bits(data: bytes) -> bytes:
    contents = der(data, BIT_STRING)
    if not contents or contents[0]:
        raise Malformed("a BIT STRING with unused bits")
    return contents[1:]


def when(data: bytes) -> dt.datetime:
    text = der(data, GENERALIZED_TIME).decode("ascii", "replace")
    try:
        return dt.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError as error:
        raise Malformed(f"GeneralizedTime {text!r} is not YYYYMMDDHHMMSSZ") from error


def certificate_key(certificate: bytes) -> bytes:
    """The SM2 point in an X.509 certificate's subjectPublicKeyInfo."""
    tbs = fields(fields(certificate, 3)[0], 6)
    if tbs[0][0] == 0xA0:  # [0] version
        tbs = tbs[1:]
    point = bits(fields(tbs[5], 2)[1])
    if len(point) != 65 or point[0] != 4:
        raise Malformed("the certificate's key is not an SM2 point")
    return point


def check_seal(
    seal: bytes, signed_at: dt.datetime, authority: bytes | None
) -> tuple[list[Problem], list[bytes]]:
    """Problems with the seal (SES_Seal), and the signers' certificates it lists."""
    from asn1crypto import parser

    info, maker_cert, algorithm, signed_value = fields(seal, 4)
    header, _es_id, prop = fields(info, 4)[:3]
    if der(fields(header, 3)[1], INTEGER) != b"\x04" or der(algorithm, OID) != SM2_OID_DER:
        raise Malformed("the seal is not v4 or not SM2")
    prop_fields = fields(prop, 7)
    if der(prop_fields[2], INTEGER) != b"\x01":
        raise Malformed("certListType is not 1 (certificates)")
    listed = [der(item, OCTET_STRING) for item in fields(prop_fields[3], 0)]
    start, end = when(prop_fields[5]), when(prop_fields[6])
    maker = certificate_key(der(maker_cert, OCTET_STRING))
    # The maker signs SEQUENCE { esealInfo, cert, signAlgID } (GB/T 38540-2020 §5).
    signed_part = parser.emit(0, 1, SEQUENCE, info + maker_cert + algorithm)
    if authority is not None and maker != authority:
        return [("seal_authority", {})], listed
    if not sm2_verify(maker, signed_part, bits(signed_value)):
        return [("seal_signature", {})], listed
    if signed_at > end:
        return [("seal_expired", {"end": end, "signed": signed_at})], listed
    return ([("seal_early", {})] if signed_at < start else []), listed


def check_signature(
    value: bytes,
    seal: tuple[str, bytes],
    signed: tuple[str, bytes],
    keys: tuple[bytes, bytes | None],
) -> list[Problem]:
    """Problems with SignedValue.dat, a DER SES_Signature (GB/T 38540-2020 §6)."""
    (seal_path, seal_file), (signature_path, signature_file) = seal, signed
    public_key, authority = keys
    to_sign, cert, algorithm, signature = fields(value, 4)[:4]
    version, eseal, time_info, data_hash, property_info = fields(to_sign, 5)[:5]
    if der(version, INTEGER) != b"\x04" or der(algorithm, OID) != SM2_OID_DER:
        raise Malformed("the signature is not v4 or not SM2")
    problems: list[Problem] = []
    if bits(data_hash) != sm3(signature_file):
        problems.append(("digest", {"part": signature_path}))
    if resolve("", der(property_info, IA5).decode("ascii", "replace")) != signature_path:
        problems.append(("property", {"part": signature_path}))
    if eseal != seal_file:
        return problems + [("seal_differs", {"part": seal_path})]
    seal_problems, listed = check_seal(eseal, when(time_info), authority)
    problems += seal_problems
    signer_cert = der(cert, OCTET_STRING)
    if signer_cert not in listed:
        return problems + [("signer_unlisted", {})]
    certificate_key(signer_cert)  # a certificate, on SM2
    if not sm2_verify(public_key, to_sign, bits(signature)):
        problems.append(("bad_signature", {}))
    return problems


def verify(
    data: bytes, public_key: bytes, authority_key: bytes | None
) -> tuple[list[Problem], dict[str, str]]:
    """Every reason the file is not genuine (none: genuine), and its custom data."""
    entries = read_package(data)
    root = xml(entries, "OFD.xml")
    custom = {
        item.get("Name", ""): item.text or ""
        for item in root.iterfind("ofd:DocBody/ofd:DocInfo/ofd:CustomDatas/ofd:CustomData", NS)
    }
    location = root.findtext("ofd:DocBody/ofd:Signatures", default="", namespaces=NS)
    if not location:
        return [("no_signature", {})], custom
    signatures_path = resolve("OFD.xml", location)
    listed = xml(entries, signatures_path).findall("ofd:Signature", NS)
    if len(listed) != 1:
        return [("signature_count", {"count": len(listed)})], custom
    signature_path = resolve(signatures_path, listed[0].get("BaseLoc", ""))
    signature_root = xml(entries, signature_path)
    info = signature_root.find("ofd:SignedInfo", NS)
    if info is None:
        return [("incomplete", {})], custom
    problems: list[Problem] = []
    if info.findtext("ofd:SignatureMethod", default="", namespaces=NS).strip() != SM2_OID:
        problems.append(("not_sm2", {}))
    references = info.find("ofd:References", NS)
    if references is None or references.get("CheckMethod", "").strip() != SM3_OID:
        return problems + [("not_sm3", {})], custom
    value_path = resolve(
        signature_path, signature_root.findtext("ofd:SignedValue", default="", namespaces=NS)
    )
    covered = {signature_path, value_path}
    for reference in references.findall("ofd:Reference", NS):
        part = resolve(signature_path, reference.get("FileRef", ""))
        covered.add(part)
        if part not in entries:
            problems.append(("part_missing", {"part": part}))
            continue
        expected = reference.findtext("ofd:CheckValue", default="", namespaces=NS).strip()
        if base64.b64encode(sm3(entries[part])).decode("ascii") != expected:
            problems.append(("digest", {"part": part}))
    problems += [("unsigned", {"part": name}) for name in sorted(set(entries) - covered)]
    seal_location = info.findtext("ofd:Seal/ofd:BaseLoc", default="", namespaces=NS)
    seal_path = resolve(signature_path, seal_location) if seal_location else ""
    if seal_path not in entries:
        return problems + [("no_seal", {})], custom
    if value_path not in entries:
        return problems + [("no_value", {})], custom
    try:
        problems += check_signature(
            entries[value_path],
            (seal_path, entries[seal_path]),
            (signature_path, entries[signature_path]),
            (public_key, authority_key),
        )
    except Malformed as error:
        problems.append(("malformed", {"part": value_path, "error": error}))
    return problems, custom


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--public-key", required=True, help="部门的SM2公钥（hex、PEM或文件）")
    parser.add_argument("--authority-key", help="制章机构的SM2公钥（hex、PEM或文件）")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="zh（默认）或 en")
    arguments = parser.parse_args(argv)
    lang = arguments.lang
    try:
        public_key = parse_key(arguments.public_key)
        authority = parse_key(arguments.authority_key) if arguments.authority_key else None
        data = arguments.file.read_bytes()
        if not data.startswith(b"PK\x03\x04"):
            raise Unusable("not_ofd")
        problems, custom = verify(data, public_key, authority)
    except Unusable as error:
        print(say("unusable", lang, error=say(error.key, lang, **error.params)), file=sys.stderr)
        return 2
    except OSError as error:
        print(say("unusable", lang, error=error), file=sys.stderr)
        return 2
    if problems:
        print(say("not_genuine", lang))
        for key, params in problems:
            print(f"  - {say(key, lang, **params)}")
    else:
        print(say("genuine", lang))
    for name, value in custom.items():
        print(f"{name}: {value}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
