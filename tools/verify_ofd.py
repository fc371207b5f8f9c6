#!/usr/bin/env python3
"""Check a OneWindow OFD certificate offline against the issuing department's SM2 key.

    python tools/verify_ofd.py licence.ofd --public-key KEY [--authority-key KEY]

``KEY`` is the department's published SM2 public key: hex (``04``‖X‖Y, or X‖Y), a PEM
SubjectPublicKeyInfo, or a file holding either. ``--authority-key`` is the seal-making
authority's key; without it the seal's own maker signature is still checked, but not who
made it. Needs only the standard library and ``gmssl_pyx`` (GmSSL 3's SM2/SM3).

Prints ``genuine`` or ``NOT genuine`` with every reason found (a digest mismatch names
the part, a bad signature, a seal expired at signing time...), then the licence fields
the file carries. Exit status: 0 genuine, 1 not genuine, 2 unusable input (not an OFD
package, unsafe entry names, a zip bomb, an unreadable key).

What is checked, after GB/T 38540 as OneWindow applies it (docs/certificates-ofd.md):
the package opens safely (≤ 50 MB uncompressed, no ``..``/absolute names, no DTDs);
OFD.xml → Signatures.xml → the one Signature.xml; its References (CheckMethod SM3) match
the SM3 of every listed part, and no part is left unsigned; the seal (Seal.esl) is signed
by its maker and valid at SignatureDateTime; SignedValue.dat is the SM2 signature
(Z with ID 1234567812345678) of the exact Signature.xml bytes by the given key.

Written apart from the project's implementation on purpose: anyone can read this file
alone and check a certificate.
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
SM3_OID = "1.2.156.10197.1.401"
SIGNER_ID = b"1234567812345678"
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ENTRIES = 500


class Unusable(Exception):
    """The input cannot be checked at all."""


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
        raise Unusable(f"公钥无法读取：{error}") from error
    if len(point) == 64:
        point = b"\x04" + point
    if len(point) != 65 or point[0] != 4:
        raise Unusable("公钥应为SM2未压缩点（65字节，04开头）")
    return point


def read_package(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Unusable(f"不是OFD文件（不是有效的ZIP包）：{error}") from error
    if len(infos) > MAX_ENTRIES:
        raise Unusable("包中文件过多")
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
            raise Unusable(f"不安全的文件路径：{name!r}")
        if info.is_dir():
            continue
        if name in entries:
            raise Unusable(f"重复的文件：{name!r}")
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_UNCOMPRESSED - total + 1)
        except (zipfile.BadZipFile, OSError, ValueError, zlib.error) as error:
            raise Unusable(f"{name} 无法解压：{error}") from error
        total += len(content)
        if total > MAX_UNCOMPRESSED:
            raise Unusable("解压后过大，疑似压缩炸弹")
        entries[name] = content
    return entries


def xml(entries: dict[str, bytes], name: str) -> ElementTree.Element:
    data = entries.get(name)
    if data is None:
        raise Unusable(f"缺少 {name}")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Unusable(f"{name} 含有DTD声明")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise Unusable(f"{name} 不是有效的XML：{error}") from error


def resolve(base: str, location: str) -> str:
    location = location.strip()
    if location.startswith("/"):
        path = posixpath.normpath(location.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(base), location))
    if path == ".." or path.startswith("../"):
        raise Unusable(f"引用越出文件包：{location}")
    return path


def field(data: bytes, tag: str) -> str:
    match = re.search(rf"<{tag}>([^<]*)</{tag}>".encode(), data)
    return match.group(1).decode("utf-8") if match else ""


def moment(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def verify(
    data: bytes, public_key: bytes, authority_key: bytes | None
) -> tuple[list[str], dict[str, str]]:
    """Every reason the file is not genuine (none: genuine), and its custom data."""
    entries = read_package(data)
    root = xml(entries, "OFD.xml")
    custom = {
        item.get("Name", ""): item.text or ""
        for item in root.iterfind("ofd:DocBody/ofd:DocInfo/ofd:CustomDatas/ofd:CustomData", NS)
    }
    problems: list[str] = []
    location = root.findtext("ofd:DocBody/ofd:Signatures", default="", namespaces=NS)
    if not location:
        return ["没有电子签章"], custom
    signatures_path = resolve("OFD.xml", location)
    listed = xml(entries, signatures_path).findall("ofd:Signature", NS)
    if len(listed) != 1:
        return [f"应恰有一个电子签章，实际为 {len(listed)} 个"], custom
    signature_path = resolve(signatures_path, listed[0].get("BaseLoc", ""))
    signature_root = xml(entries, signature_path)
    info = signature_root.find("ofd:SignedInfo", NS)
    if info is None:
        return ["签章描述文件不完整"], custom
    if info.findtext("ofd:SignatureMethod", default="", namespaces=NS).strip() != SM2_OID:
        problems.append("签名算法不是SM2")
    signed_at = moment(info.findtext("ofd:SignatureDateTime", default="", namespaces=NS))
    references = info.find("ofd:References", NS)
    if references is None or references.get("CheckMethod", "").strip() != SM3_OID:
        return problems + ["摘要算法不是SM3"], custom
    value_path = resolve(
        signature_path, signature_root.findtext("ofd:SignedValue", default="", namespaces=NS)
    )
    covered = {signature_path, value_path}
    for reference in references.findall("ofd:Reference", NS):
        part = resolve(signature_path, reference.get("FileRef", ""))
        covered.add(part)
        if part not in entries:
            problems.append(f"签名覆盖的部件 {part} 不存在")
            continue
        expected = reference.findtext("ofd:CheckValue", default="", namespaces=NS).strip()
        if base64.b64encode(sm3(entries[part])).decode("ascii") != expected:
            problems.append(f"摘要不符：{part} 在签章后被修改")
    problems += [f"未签名的部件：{name}" for name in sorted(set(entries) - covered)]
    seal_location = info.findtext("ofd:Seal/ofd:BaseLoc", default="", namespaces=NS)
    seal = entries.get(resolve(signature_path, seal_location)) if seal_location else None
    if seal is None:
        return problems + ["没有电子印章"], custom
    seal_info = re.search(rb"<SealInfo>.*</SealInfo>", seal, re.DOTALL)
    try:
        maker = bytes.fromhex(field(seal, "MakerPublicKey"))
        seal_signature = base64.b64decode(field(seal, "SignedValue"), validate=True)
    except ValueError:
        maker, seal_signature = b"", b""
    if seal_info is None or not maker:
        problems.append("电子印章数据不完整")
    elif authority_key is not None and maker != authority_key:
        problems.append("电子印章不是由给定的制章机构签发的")
    elif not sm2_verify(maker, seal_info.group(0), seal_signature):
        problems.append("电子印章的制章签名无效")
    else:
        start, end = moment(field(seal, "ValidStart")), moment(field(seal, "ValidEnd"))
        if signed_at is None or start is None or end is None:
            problems.append("无法确定签章时间或印章有效期")
        elif signed_at > end:
            problems.append(
                f"签章时电子印章已过期（有效期至 {end:%Y-%m-%d}，签章于 {signed_at:%Y-%m-%d}）"
            )
        elif signed_at < start:
            problems.append("签章时电子印章尚未生效")
    signed_value = entries.get(value_path)
    if signed_value is None or not sm2_verify(public_key, entries[signature_path], signed_value):
        problems.append("签名无效：SM2签名值与给定的公钥不符")
    return problems, custom


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--public-key", required=True, help="部门的SM2公钥（hex、PEM或文件）")
    parser.add_argument("--authority-key", help="制章机构的SM2公钥（hex、PEM或文件）")
    arguments = parser.parse_args(argv)
    try:
        public_key = parse_key(arguments.public_key)
        authority = parse_key(arguments.authority_key) if arguments.authority_key else None
        data = arguments.file.read_bytes()
        if not data.startswith(b"PK\x03\x04"):
            raise Unusable("不是OFD文件（OFD文件是ZIP包）")
        problems, custom = verify(data, public_key, authority)
    except (Unusable, OSError) as error:
        print(f"无法核验：{error}", file=sys.stderr)
        return 2
    if problems:
        print("NOT genuine / 未通过核验")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("genuine / 真实有效：签章有效，文件自签章后未被修改")
    for name, value in custom.items():
        print(f"{name}: {value}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
