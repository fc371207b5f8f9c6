"""Issuance: an approved item's certificate enters the library at once, in the
transaction that granted it, with its GB/T 36904 identifier; its signed PDF and OFD
are started once that row commits.

``cases`` does not know this app: the grant calls ``certificate_create_for_approval``
as the handler this app registers for granted approvals (``CertificatesConfig.ready``,
through ``cases.services.review.approval_granted_handler_register``)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone

from cases.constants import ApplicantKind, HolderKind
from cases.models import Approval
from cases.services.jobs import job_enqueue
from cases.services.numbers import sequence_next
from cases.services.overrides import CERTIFIED_APPLICANT_FIELDS
from departments.constants import CertificateFormats
from departments.models import CertificateType, Department

from ..licence_id import licence_id_build, licence_type_code
from ..models import Certificate

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


def certificate_issue_pdf_after_commit(*, certificate_id: int, formats: str | None = None) -> None:
    """Render and seal the documents once the transaction that created the row commits:
    outbox jobs (``cases.Job``) on the ``documents`` queue, so slow rendering never holds
    up approvals, and a lost message is swept up again. The certificate type says which:
    the PDF (``issue_pdf``), the OFD (``issue_ofd``), or both (``formats``, read from the
    certificate's type when the caller does not have it at hand)."""
    if formats is None:
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


def certificate_subject(*, approval: Approval) -> dict[str, Any]:
    """What the certificate says of its holder: the registry's record when a registry
    verified the applicant — in this approval's checks (the latest read), else at
    intake's prefill — and only otherwise the details on the applicant. A typed
    name never reaches a certificate over the registry's (issue 19).

    ``holder_verified_by`` names the registry and the read the values came from."""
    applicant = approval.case.applicant
    source: dict[str, Any] = {}
    values: dict[str, str] = {}
    for check in approval.checks or []:
        if isinstance(check, dict) and check.get("subject"):
            values = dict(check["subject"])
            source = {"registry": check.get("registry"), "verification": check.get("verification")}
            break
    if not values:
        prefill = approval.case.registry_prefill or {}
        registry_values = prefill.get("applicant") or {}
        values = {
            name: registry_values[name]
            for name in CERTIFIED_APPLICANT_FIELDS
            if registry_values.get(name)
        }
        if values:
            source = {
                "registry": prefill.get("registry"),
                "verification": prefill.get("verification"),
            }
    subject: dict[str, Any] = {"holder_name": values.get("name") or applicant.name}
    legal_representative = values.get("legal_representative") or applicant.legal_representative
    if applicant.kind == ApplicantKind.ORGANISATION and legal_representative:
        subject["legal_representative"] = legal_representative
    if source:
        subject["holder_verified_by"] = source
    return subject


def certificate_create_for_approval(*, approval: Approval) -> Certificate | None:
    """The certificate the approved item produces (none if it produces none).

    Called in the transaction that approved ``approval``, which holds its row lock:
    an approval is approved once, so its certificate is new. The one-to-one
    ``approval`` column still backs that — a second certificate for the same
    approval is a unique violation that rolls the whole decision back, never a
    duplicate — so no read or savepoint is spent on it here.
    """
    item = approval.item
    if item.produces_id is None:
        return None
    certificate_type = item.produces
    applicant = approval.case.applicant
    today = timezone.localdate()
    valid_until = (
        today + dt.timedelta(days=certificate_type.validity_days)
        if certificate_type.validity_days
        else None
    )
    serial = sequence_next(name=f"certificate:{certificate_type.code}:{today.year}")
    certificate = Certificate(
        number=f"{certificate_type.code}-{today.year}-{serial:06d}",
        licence_id=certificate_licence_id(
            certificate_type=certificate_type,
            department=certificate_type.issuing_department,
            serial=licence_serial(year=today.year, sequence=serial),
            version=1,
        ),
        certificate_type=certificate_type,
        holder=applicant,
        holder_kind=HolderKind.PERSON
        if applicant.kind == ApplicantKind.PERSON
        else HolderKind.ORGANISATION,
        issuing_department_id=certificate_type.issuing_department_id,
        approval=approval,
        case=approval.case,
        valid_from=today,
        valid_until=valid_until,
        data={"item": item.code, "item_name": item.name, **certificate_subject(approval=approval)},
    )
    certificate.save(force_insert=True)  # one INSERT: the row is new, nothing to look up
    # Rendered and sealed by a task once this row commits.
    certificate_issue_pdf_after_commit(
        certificate_id=certificate.pk, formats=certificate_type.formats
    )
    return certificate
