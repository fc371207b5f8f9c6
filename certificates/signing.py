"""The electronic seal as a PAdES signature (pyHanko), and its offline validation.

Validation trusts only the demo root under ``SEALS_DIR`` (no network fetching) and
judges by pyHanko's overall verdict, ``bottom_line`` — integrity, chain of trust,
modification policy — not by the cryptographic ``valid`` flag alone.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .seals import Seal, certificate_fingerprint, root_certificate_path

if TYPE_CHECKING:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

SIGNATURE_FIELD = "OneWindowSeal"


def _seal_file_stamp(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return (str(path), status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=32)
def _loaded_signer(
    key: tuple[str, int, int], cert: tuple[str, int, int], root: tuple[str, int, int]
) -> tuple[Any, int]:
    """pyHanko's signer for one seal, read from its PEM files once, and the room its
    signature needs in the file.

    Keyed by each file's path, modification time and size, so a replaced seal is read
    again on the next signature and never signs with the old key. Giving pyHanko the
    room up front spares it a trial signature per document to measure it: the CMS
    holds the certificates plus a few hundred bytes of signature and attributes, and
    is written in hex (two characters a byte)."""
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(
        key_file=key[0], cert_file=cert[0], ca_chain_files=(root[0],)
    )
    if signer is None:
        return None, 0
    certificates = [signer.signing_cert, *signer.cert_registry]
    return signer, 2 * (sum(len(item.dump()) for item in certificates) + 4096)


def seal_signer(seal: Seal) -> tuple[Any, int]:
    """The loaded signer of ``seal`` and the bytes to reserve for its signature (kept
    per process; see ``_loaded_signer``)."""
    signer, reserved = _loaded_signer(
        _seal_file_stamp(seal.key_path),
        _seal_file_stamp(seal.cert_path),
        _seal_file_stamp(seal.root_cert_path),
    )
    if signer is None:
        raise ValueError(f"cannot load the seal of department {seal.department_code}")
    return signer, reserved


def pdf_sign(*, pdf: bytes, seal: Seal, reason: str, location: str, name: str) -> bytes:
    """Sign ``pdf`` with the department's seal as a PAdES B-B signature (invisible: the
    visible stamp is part of the page)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return pdf_sign_writer(writer=writer, seal=seal, reason=reason, location=location, name=name)


def pdf_sign_writer(
    *, writer: IncrementalPdfFileWriter, seal: Seal, reason: str, location: str, name: str
) -> bytes:
    """Sign what ``writer`` holds — a PDF plus changes not yet written, such as the
    filled-in fields of a cached page — so the changes and the signature are one
    revision, which the signature covers whole."""
    from pyhanko.sign import fields, signers

    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=name,
    )
    signer, reserved = seal_signer(seal)
    output = signers.sign_pdf(writer, metadata, signer=signer, bytes_reserved=reserved)
    return output.getvalue()


@dataclass
class SignatureCheck:
    """What a check of a PDF found. ``is_valid`` is pyHanko's bottom line on the one
    signature, with the whole file covered by it."""

    sha256: str
    is_valid: bool = False
    signer_name: str = ""
    signer_fingerprint: str = ""
    signed_at: object = None
    problems: list[str] = field(default_factory=list)


def pdf_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pdf_check_signature(*, pdf: bytes) -> SignatureCheck:
    """Validate the seal of a signed certificate PDF offline, against the demo root."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    check = SignatureCheck(sha256=pdf_sha256(pdf))
    root_path = root_certificate_path()
    if not root_path.exists():
        check.problems.append(_("本机没有电子印章根证书，无法核验签名。"))
        return check
    root_der = pem.unarmor(root_path.read_bytes())[2]
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root_der)],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if len(signatures) != 1:
            check.problems.append(
                _("文件中应恰有一个电子印章签名，实际为 %(count)d 个。")
                % {"count": len(signatures)}
            )
            return check
        status = validate_pdf_signature(signatures[0], context)
    except (PdfError, SignatureValidationError, ValueError, KeyError, TypeError) as error:
        check.problems.append(_("文件无法解析或签名已损坏：%(error)s") % {"error": error})
        return check
    except Exception as error:  # noqa: BLE001 - an uploaded file may break the parser anywhere
        check.problems.append(_("文件无法解析或签名已损坏：%(error)s") % {"error": error})
        return check
    check.signer_name = status.signing_cert.subject.human_friendly
    check.signer_fingerprint = certificate_fingerprint(status.signing_cert.dump())
    check.signed_at = status.signer_reported_dt
    if not status.intact or not status.valid:
        check.problems.append(_("签名与文件内容不符：文件在签名后被修改。"))
    elif not status.trusted:
        check.problems.append(_("签名证书不是由电子印章根证书签发的。"))
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        check.problems.append(_("签名之后文件又被追加了内容。"))
    check.is_valid = bool(status.bottom_line) and not check.problems
    if not status.bottom_line and not check.problems:
        check.problems.append(_("签名未通过核验。"))
    return check
