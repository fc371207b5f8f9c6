"""Rendering and signing a certificate's PDF."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.constants import EventKind, IdType
from cases.models import CaseEvent
from certificates.models import Certificate

from ..pdf import certificate_html, html_to_pdf, qr_code_svg, seal_stamp_svg
from ..pdf_layout import filled_certificate_writer
from ..seals import Seal, seal_for_department
from ..signing import pdf_sha256, pdf_sign, pdf_sign_writer

logger = logging.getLogger(__name__)


def certificate_verify_url(*, certificate: Certificate) -> str:
    """The public address the QR code carries."""
    path = reverse("certificates:verify", args=[certificate.verification_token])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def chinese_date(value: Any) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def certificate_pdf_context(*, fields: dict[str, Any]) -> dict[str, Any]:
    """The whole page's template context: the fields plus the drawn QR code and seal."""
    return {
        **fields,
        "qr_svg": qr_code_svg(fields["verify_url"]),
        "seal_svg": seal_stamp_svg(fields["department_name"]),
    }


def certificate_fields(*, certificate: Certificate) -> dict[str, Any]:
    """What every format of the certificate shows, in Chinese (the PDF adds its drawings,
    the OFD its images)."""
    holder = certificate.holder
    data = certificate.data or {}
    verify_url = certificate_verify_url(certificate=certificate)
    department = certificate.issuing_department
    return {
        "number": certificate.number,
        "licence_id": certificate.licence_id,
        "type_name": certificate.certificate_type.name,
        "version": certificate.version,
        "holder_name": data.get("holder_name") or holder.name,
        "holder_id_label": str(IdType(holder.id_type).label),
        "holder_id_number": holder.id_number,
        "legal_representative": data.get("legal_representative") or holder.legal_representative,
        "address": data.get("address", ""),
        "business_scope": data.get("business_scope", ""),
        "item_name": data.get("item_name", ""),
        "department_name": department.name,
        "issued_on": chinese_date(timezone.localtime(certificate.issued_at)),
        "valid_from": chinese_date(certificate.valid_from),
        "valid_until": chinese_date(certificate.valid_until),
        "verify_url": verify_url,
    }


def certificate_sealed_pdf(*, certificate: Certificate, seal: Seal) -> bytes:
    """The signed PDF: the page of the certificate's type laid out once and filled in
    (``pdf_layout``), or rendered whole when a value needs a fallback font."""
    department = certificate.issuing_department
    signature = {
        "seal": seal,
        "reason": _("电子证照签发：%(type)s %(number)s")
        % {"type": certificate.certificate_type.name, "number": certificate.number},
        "location": department.name,
        "name": department.name,
    }
    fields = certificate_fields(certificate=certificate)
    writer = filled_certificate_writer(fields=fields)
    if writer is not None:
        return pdf_sign_writer(writer=writer, **signature)
    unsigned = html_to_pdf(certificate_html(certificate_pdf_context(fields=fields)))
    return pdf_sign(pdf=unsigned, **signature)


def _has_pdf(certificate: Certificate) -> bool:
    return bool(
        certificate.pdf
        and certificate.pdf_sha256
        and certificate.pdf.storage.exists(certificate.pdf.name)
    )


def certificate_render_and_sign(*, certificate_id: int) -> Certificate:
    """Render the certificate's PDF, seal it with the issuing department's key, and store
    it with its SHA-256. The holder can then download it and anyone can verify it.

    Idempotent: a certificate that has its signed PDF is returned unchanged. Rendering
    happens outside the row lock (it takes a moment); the result is stored only if no
    other run stored one meanwhile, so two concurrent runs still leave one file.
    A missing seal is created on the spot when ``SEALS_AUTO_CREATE`` is on (the demo
    and tests); otherwise ``SealMissingError`` says to run ``init_seals`` or install the
    department's real key, and nothing is stored, so a retry after the fix succeeds.
    """
    certificate = Certificate.objects.select_related(
        "certificate_type", "holder", "issuing_department"
    ).get(pk=certificate_id)
    if _has_pdf(certificate):
        return certificate
    department = certificate.issuing_department
    seal = seal_for_department(department=department, create_if_missing=settings.SEALS_AUTO_CREATE)
    # The certificate is an official Chinese document, whatever language the request
    # or worker that triggered it runs in.
    with translation.override("zh-hans"):
        signed = certificate_sealed_pdf(certificate=certificate, seal=seal)
    digest = pdf_sha256(signed)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate_id)
        if _has_pdf(locked):
            return locked
        locked.pdf.save(f"{locked.number}.pdf", ContentFile(signed), save=False)
        locked.pdf_sha256 = digest
        locked.pdf_signed_at = timezone.now()
        locked.seal_fingerprint = seal.fingerprint
        locked.save(update_fields=["pdf", "pdf_sha256", "pdf_signed_at", "seal_fingerprint"])
        CaseEvent.objects.create(
            case_id=locked.case_id,
            certificate=locked,
            kind=EventKind.SYSTEM,
            name="certificate_signed",
            actor_label="system",
            note=_("电子证照 %(number)s 已生成并加盖电子印章。") % {"number": locked.number},
            is_public=True,
            data={"sha256": digest, "seal": seal.fingerprint},
        )
    logger.info("certificate %s signed, sha256 %s", locked.number, digest)
    return locked
