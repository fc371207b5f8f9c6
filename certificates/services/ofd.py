"""Issuing a certificate's OFD (GB/T 33190) sealed with the department's SM2 seal, and
checking an uploaded OFD against the certificate it claims to be."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.constants import CertificateStatus, EventKind
from cases.models import CaseEvent
from certificates.models import Certificate

from ..models import OfdDocument
from ..ofd.package import OfdSheet, ofd_build
from ..ofd.seal import (
    authority_public_key,
    department_public_key,
    sm2_seal_for_department,
    sm3_digest,
)
from ..ofd.verify import OfdCheck, ofd_check, ofd_custom_data, ofd_entries_read
from ..selectors import certificate_effective_status
from .rendering import certificate_fields

logger = logging.getLogger(__name__)


def qr_code_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


def certificate_ofd_sheet(*, certificate: Certificate) -> OfdSheet:
    """The page's rows and the library metadata, from the same context as the PDF."""
    context: dict[str, Any] = certificate_fields(certificate=certificate)
    valid_until = context["valid_until"] or _("长期")
    rows = [
        (_("证照编号"), context["number"]),
        (_("持证主体"), context["holder_name"]),
        (context["holder_id_label"], context["holder_id_number"]),
    ]
    if context["legal_representative"]:
        rows.append((_("法定代表人"), context["legal_representative"]))
    if context["address"]:
        rows.append((_("住所"), context["address"]))
    if context["business_scope"]:
        rows.append((_("经营范围"), context["business_scope"]))
    rows += [
        (_("办理事项"), context["item_name"]),
        (_("颁发部门"), context["department_name"]),
        (_("颁发日期"), context["issued_on"]),
        (_("有效期"), f"{context['valid_from']} — {valid_until}"),
        (_("电子证照标识"), context["licence_id"] or "—"),
    ]
    subtitle = _("电子证照")
    if context["version"] > 1:
        subtitle += " · " + _("第 %(version)d 版") % {"version": context["version"]}
    return OfdSheet(
        title=context["type_name"],
        subtitle=subtitle,
        rows=tuple(rows),
        issuer_lines=(context["department_name"], context["issued_on"]),
        note=_("本证照由颁发部门的SM2电子印章签章，与纸质证照具有同等效力。核验地址：")
        + "\n"
        + context["verify_url"],
        qr_caption=_("扫码核验真伪"),
        verify_url=context["verify_url"],
        qr_png=qr_code_png(context["verify_url"]),
        custom_data={
            "licence_id": context["licence_id"] or "",
            "number": context["number"],
            "holder_name": context["holder_name"],
            "holder_id_number": context["holder_id_number"],
            "certificate_type": certificate.certificate_type.code,
            "certificate_type_name": context["type_name"],
            "issuing_department": context["department_name"],
            "version": str(context["version"]),
            "verify_url": context["verify_url"],
        },
        author=context["department_name"],
        document_title=f"{context['type_name']} {context['number']}",
        created_on=timezone.localdate(certificate.issued_at),
        keywords=(context["type_name"], context["number"]),
    )


def _has_ofd(certificate_id: int) -> bool:
    document = OfdDocument.objects.filter(certificate_id=certificate_id).first()
    return bool(document and document.file.storage.exists(document.file.name))


def certificate_ofd_render_and_seal(*, certificate_id: int) -> OfdDocument:
    """Lay out the certificate's OFD, seal it with the issuing department's SM2 seal and
    store it beside the PDF. The holder can then download it, and anyone can check it
    offline against the department's published SM2 public key.

    Idempotent like the PDF: a certificate that has its OFD is returned unchanged; two
    concurrent runs leave one file."""
    existing = OfdDocument.objects.filter(certificate_id=certificate_id).first()
    if existing and existing.file.storage.exists(existing.file.name):
        return existing
    certificate = Certificate.objects.select_related(
        "certificate_type", "holder", "issuing_department"
    ).get(pk=certificate_id)
    department = certificate.issuing_department
    seal = sm2_seal_for_department(
        department=department, create_if_missing=settings.SEALS_AUTO_CREATE
    )
    signed_at = timezone.now()
    with translation.override("zh-hans"):
        data = ofd_build(
            sheet=certificate_ofd_sheet(certificate=certificate), seal=seal, signed_at=signed_at
        )
    sha256 = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        Certificate.objects.select_for_update().only("pk").get(pk=certificate_id)
        current = OfdDocument.objects.filter(certificate_id=certificate_id).first()
        if current and current.file.storage.exists(current.file.name):
            return current
        document = current or OfdDocument(certificate_id=certificate_id)
        document.file.save(f"{certificate.number}.ofd", ContentFile(data), save=False)
        document.sha256 = sha256
        document.sm3 = sm3_digest(data).hex()
        document.seal_id = seal.seal_id
        document.signed_at = signed_at
        document.save()
        CaseEvent.objects.create(
            case_id=certificate.case_id,
            certificate=certificate,
            kind=EventKind.SYSTEM,
            name="certificate_ofd_sealed",
            actor_label="system",
            note=_("电子证照 %(number)s 的OFD版式文件已生成并加盖SM2电子印章。")
            % {"number": certificate.number},
            is_public=True,
            data={"sha256": sha256, "seal": seal.seal_id},
        )
    logger.info("certificate %s OFD sealed, sha256 %s", certificate.number, sha256)
    return document


@dataclass
class OfdUploadResult:
    """The answer to "is this file genuine?" for the verification page and API."""

    check: OfdCheck
    certificate: Certificate | None
    genuine: bool
    reason: str
    status: str


def ofd_upload_check(*, data: bytes, certificate: Certificate | None = None) -> OfdUploadResult:
    """Check an uploaded OFD: which certificate it says it is (or, on a certificate's
    page, that it is that one), the signature with that department's SM2 key, the seal
    maker trusted here, the file being the one issued, and the certificate's status now.
    Reads only; a bad upload changes nothing."""
    claimed_number = ""
    with contextlib.suppress(ValueError):
        claimed_number = ofd_custom_data(ofd_entries_read(data)).get("number", "")
    if certificate is None and claimed_number:
        certificate = (
            Certificate.objects.select_related("certificate_type", "holder", "issuing_department")
            .filter(number=claimed_number)
            .first()
        )
    public_key = (
        department_public_key(department_code=certificate.issuing_department.code)
        if certificate is not None
        else None
    )
    check = ofd_check(data=data, public_key=public_key, authority_public_key=authority_public_key())
    status = certificate_effective_status(certificate=certificate) if certificate else ""
    if check.problems:
        return OfdUploadResult(check, certificate, False, check.problems[0], status)
    if certificate is None:
        reason = _("文件签章完整，但系统中没有编号为「%(number)s」的电子证照。") % {
            "number": claimed_number
        }
        return OfdUploadResult(check.fail("unknown_certificate", reason), None, False, reason, "")
    if claimed_number != certificate.number:
        reason = _("该文件是另一份电子证照（%(number)s），不是本证照。") % {
            "number": claimed_number
        }
        return OfdUploadResult(
            check.fail("other_certificate", reason), certificate, False, reason, status
        )
    if public_key is None:
        reason = _("颁发部门尚无SM2电子印章公钥，无法核验。")
        return OfdUploadResult(check.fail("no_key", reason), certificate, False, reason, status)
    issued = OfdDocument.objects.filter(certificate=certificate).only("sha256").first()
    if issued is None or issued.sha256 != check.sha256:
        reason = _("签章有效，但该文件不是系统签发存档的OFD文件。")
        return OfdUploadResult(
            check.fail("not_issued_file", reason), certificate, False, reason, status
        )
    reason = _("文件与签发的电子证照一致，SM2电子印章签章有效。")
    if status != CertificateStatus.VALID:
        reason += " " + _("但该电子证照当前状态：%(status)s，不再有效。") % {
            "status": CertificateStatus(status).label
        }
    return OfdUploadResult(check, certificate, True, reason, status)
