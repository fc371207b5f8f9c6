"""Reads for verification: by token, the newest version, and the public (masked) view."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from cases.constants import CertificateStatus
from certificates.models import Certificate
from departments.identifiers import mask_id_number, mask_name

# What new_verification_token() produces (token_urlsafe(24) → 32 characters); anything
# else is answered exactly like an unknown token, without a database query.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def certificate_get_by_token(*, token: str) -> Certificate | None:
    if not TOKEN_PATTERN.match(token or ""):
        return None
    return (
        Certificate.objects.select_related("certificate_type", "holder", "issuing_department")
        .filter(verification_token=token)
        .first()
    )


def certificate_newest_version(*, certificate: Certificate) -> Certificate:
    """Follow the chain of newer versions to its end (a bounded walk: one query per version)."""
    current = certificate
    for _ in range(999):
        newer = (
            Certificate.objects.select_related("certificate_type", "issuing_department")
            .filter(supersedes=current)
            .first()
        )
        if newer is None:
            return current
        current = newer
    return current


def certificate_effective_status(*, certificate: Certificate, today: dt.date | None = None) -> str:
    """The status as of today: a valid certificate past its last day reads as expired even
    before the daily job has marked it."""
    today = today or timezone.localdate()
    if (
        certificate.status == CertificateStatus.VALID
        and certificate.valid_until is not None
        and certificate.valid_until < today
    ):
        return CertificateStatus.EXPIRED
    return certificate.status


def certificate_public_view(*, certificate: Certificate) -> dict[str, Any]:
    """What anyone holding the QR code may see: no full name, no full ID number, and not
    why a certificate was revoked (that is the holder's business; it is on their timeline)."""
    holder = certificate.holder
    holder_name = (certificate.data or {}).get("holder_name") or holder.name
    status = certificate_effective_status(certificate=certificate)
    newest = (
        certificate_newest_version(certificate=certificate)
        if certificate.status == CertificateStatus.SUPERSEDED
        else certificate
    )
    name_masked = mask_name(holder_name)
    id_masked = mask_id_number(holder.id_number)
    return {
        "valid": status == CertificateStatus.VALID,
        "number": certificate.number,
        "type": certificate.certificate_type.name,
        "type_code": certificate.certificate_type.code,
        "holder_masked": f"{name_masked}（{id_masked}）",
        "holder_name_masked": name_masked,
        "holder_id_masked": id_masked,
        "issued_by": certificate.issuing_department.name,
        "issued_at": certificate.issued_at,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "status": status,
        "status_display": str(CertificateStatus(status).label),
        "licence_id": certificate.licence_id or "",
        "version": certificate.version,
        "pdf_sha256": certificate.pdf_sha256,
        "superseded_by": newest if newest.pk != certificate.pk else None,
    }
