"""What issuance needs from this app: the GB/T 36904 identifier, and the signed PDF and
OFD started after the certificate row commits."""

from __future__ import annotations

import logging

from departments.constants import CertificateFormats
from departments.models import CertificateType, Department

from ..licence_id import licence_id_build, licence_type_code

logger = logging.getLogger(__name__)


def licence_serial(*, year: int, sequence: int) -> str:
    """The serial segment: year and the per-type yearly sequence (``2026000042``)."""
    return f"{year}{sequence:06d}"


def certificate_licence_id(
    *, certificate_type: CertificateType, department: Department, serial: str, version: int
) -> str | None:
    """The identifier, or ``None`` when the department has no credit code on file (the
    identifier names the issuer by it); the certificate is still issued and its number
    still identifies it, and a warning says what to fix in the catalogue."""
    if not department.credit_code:
        logger.warning(
            "department %s has no unified social credit code: certificate issued without a "
            "GB/T 36904 licence identifier",
            department.code,
        )
        return None
    return str(
        licence_id_build(
            type_code=licence_type_code(certificate_type.code),
            issuer_code=department.credit_code,
            serial=serial,
            version=version,
        )
    )


def certificate_issue_pdf_after_commit(*, certificate_id: int) -> None:
    """Render and seal the documents once the transaction that created the row commits:
    outbox jobs (``cases.Job``) on the ``documents`` queue, so slow rendering never holds
    up approvals, and a lost message is swept up again. The certificate type says which:
    the PDF (``issue_pdf``), the OFD (``issue_ofd``), or both."""
    from cases.models import Certificate
    from cases.services.jobs import job_enqueue

    formats = (
        Certificate.objects.filter(pk=certificate_id)
        .values_list("certificate_type__formats", flat=True)
        .first()
    )
    if formats in (CertificateFormats.PDF, CertificateFormats.BOTH, None):
        job_enqueue(
            kind="issue_pdf",
            key=f"issue_pdf:{certificate_id}",
            payload={"certificate_id": certificate_id},
        )
    if formats in (CertificateFormats.OFD, CertificateFormats.BOTH):
        job_enqueue(
            kind="issue_ofd",
            key=f"issue_ofd:{certificate_id}",
            payload={"certificate_id": certificate_id},
        )
