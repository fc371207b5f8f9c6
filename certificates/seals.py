"""Electronic seals (电子印章): one signing key and certificate per issuing department.

Layout under ``settings.SEALS_DIR`` (outside the repository; production points it at
the real keys, in the same layout)::

    root-ca.pem                    the demo root certificate (the trust anchor)
    root-ca.key.pem                its private key (demo only: production has no CA key here)
    departments/<CODE>.pem         the department's seal certificate
    departments/<CODE>.key.pem     its private key (mode 0600)

``seals_init`` creates what is missing and never replaces what exists, so running it
again changes nothing. Keys are ECDSA P-256 (the national SM2 seals are elliptic-curve
keys too; PAdES with P-256 is what standard PDF validators check).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.translation import gettext as _

from departments.models import Department

from .exceptions import SealMissingError

ROOT_CA_CERT = "root-ca.pem"
ROOT_CA_KEY = "root-ca.key.pem"
DEPARTMENTS_DIR = "departments"
ROOT_CA_NAME = "OneWindow 演示电子印章根证书 (demo root CA)"
ROOT_VALIDITY = dt.timedelta(days=365 * 20)
SEAL_VALIDITY = dt.timedelta(days=365 * 10)


@dataclass(frozen=True)
class Seal:
    """What signing needs: file paths, handed to pyHanko as they are."""

    department_code: str
    key_path: Path
    cert_path: Path
    root_cert_path: Path

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.cert_path.read_bytes())


def seals_dir() -> Path:
    return Path(settings.SEALS_DIR)


def certificate_fingerprint(pem_or_der: bytes) -> str:
    """SHA-256 of the certificate's DER encoding, in hex."""
    if pem_or_der.lstrip().startswith(b"-----BEGIN"):
        pem_or_der = x509.load_pem_x509_certificate(pem_or_der).public_bytes(
            serialization.Encoding.DER
        )
    return hashlib.sha256(pem_or_der).hexdigest()


def _seal_paths(code: str) -> tuple[Path, Path]:
    if not re.fullmatch(r"[A-Z]{1,2}", code):
        raise SealMissingError(_("部门代码「%(code)s」无效，无法找到电子印章。") % {"code": code})
    base = seals_dir() / DEPARTMENTS_DIR
    return base / f"{code}.key.pem", base / f"{code}.pem"


def root_certificate_path() -> Path:
    return seals_dir() / ROOT_CA_CERT


@contextlib.contextmanager
def _seals_lock() -> Iterator[None]:
    """One creator at a time, across threads and processes (workers signing their first
    certificates at once), so a key and its certificate always belong together."""
    seals_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(seals_dir() / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    # Written to a unique temporary name and renamed, so a reader never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _write_private(path: Path, data: bytes) -> None:
    _write_file(path, data, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    _write_file(path, data, 0o644)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_root() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    certificate = x509.load_pem_x509_certificate(root_certificate_path().read_bytes())
    key = serialization.load_pem_private_key(
        (seals_dir() / ROOT_CA_KEY).read_bytes(), password=None
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return certificate, key


def _ensure_root(now: dt.datetime) -> bool:
    """Create the demo root CA unless it exists. Returns whether it was created."""
    if root_certificate_path().exists():
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OneWindow demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_CA_NAME),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(seals_dir() / ROOT_CA_KEY, _key_pem(key))
    _write_public(root_certificate_path(), certificate.public_bytes(serialization.Encoding.PEM))
    return True


def _issue_seal(department: Department, now: dt.datetime) -> None:
    root_certificate, root_key = _load_root()
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, department.name),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, department.code),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{department.name} 电子印章"),
    ]
    if department.credit_code:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, department.credit_code))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(root_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(min(now + SEAL_VALIDITY, root_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # pyHanko (like Adobe) expects non-repudiation on a document signer.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    key_path, cert_path = _seal_paths(department.code)
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, certificate.public_bytes(serialization.Encoding.PEM))


def seal_exists(*, department_code: str) -> bool:
    key_path, cert_path = _seal_paths(department_code)
    return key_path.exists() and cert_path.exists()


def seal_is_current(*, department: Department) -> bool:
    """Whether the department's seal names the department as it is now. A renamed
    department needs a new seal: a seal shows whose it is."""
    if not seal_exists(department_code=department.code):
        return False
    certificate = x509.load_pem_x509_certificate(_seal_paths(department.code)[1].read_bytes())
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return bool(names) and names[0].value == department.name


def seals_init(*, departments: list[Department] | None = None) -> dict[str, list[str]]:
    """Create the demo root CA and a seal for every department that has none.

    A department renamed since its seal was made gets a new one ("renewed"); documents
    sealed with the old one stay valid (they chain to the same root, and each certificate
    records the fingerprint of the seal that signed it).

    Returns ``{"root": [...], "created": [codes], "renewed": [codes], "kept": [codes]}``.
    Idempotent: a second run creates and renews nothing.
    """
    if departments is None:
        departments = list(Department.objects.order_by("code"))
    with _seals_lock():
        return _seals_init_locked(departments)


def _seals_init_locked(departments: list[Department]) -> dict[str, list[str]]:
    now = dt.datetime.now(dt.UTC)
    report: dict[str, list[str]] = {"root": [], "created": [], "renewed": [], "kept": []}
    if _ensure_root(now):
        report["root"].append(str(root_certificate_path()))
    for department in departments:
        exists = seal_exists(department_code=department.code)
        if exists and seal_is_current(department=department):
            report["kept"].append(department.code)
            continue
        if not (seals_dir() / ROOT_CA_KEY).exists():
            raise SealMissingError(
                _(
                    "没有演示根证书的私钥，无法为部门 %(code)s 创建电子印章；请把该部门的印章放入 %(path)s。"
                )
                % {"code": department.code, "path": _seal_paths(department.code)[1]}
            )
        _issue_seal(department, now)
        report["renewed" if exists else "created"].append(department.code)
    return report


def seal_for_department(*, department: Department, create_if_missing: bool) -> Seal:
    """The department's seal; in the demo set-up a missing one is created on the spot."""
    present = seal_exists(department_code=department.code) and root_certificate_path().exists()
    if present and create_if_missing and not seal_is_current(department=department):
        seals_init(departments=[department])
    if not present:
        if not create_if_missing:
            raise SealMissingError(
                _(
                    "部门「%(name)s」（%(code)s）没有电子印章，无法签发电子证照。请运行 python manage.py init_seals，或把正式印章放入 %(path)s。"
                )
                % {"name": department.name, "code": department.code, "path": seals_dir()}
            )
        seals_init(departments=[department])
    key_path, cert_path = _seal_paths(department.code)
    return Seal(department.code, key_path, cert_path, root_certificate_path())
