"""The electronic seal as a PAdES signature (pyHanko), and its offline validation.

Validation trusts only the demo root under ``SEALS_DIR`` (no network fetching) and
judges by pyHanko's overall verdict, ``bottom_line`` — integrity, chain of trust,
modification policy — not by the cryptographic ``valid`` flag alone.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .seals import Seal, certificate_fingerprint, root_certificate_path

SIGNATURE_FIELD = "OneWindowSeal"


def pdf_sign(*, pdf: bytes, seal: Seal, reason: str, location: str, name: str) -> bytes:
    """Sign ``pdf`` with the department's seal as a PAdES B-B signature (invisible: the
    visible stamp is part of the page)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(
        key_file=str(seal.key_path),
        cert_file=str(seal.cert_path),
        ca_chain_files=(str(seal.root_cert_path),),
    )
    if signer is None:
        raise ValueError(f"cannot load the seal of department {seal.department_code}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=name,
    )
    output = signers.sign_pdf(writer, metadata, signer=signer)
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
