"""Supplement requests answered online: the applicant uploads what the department listed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from cases.constants import ApprovalState, EventKind, MaterialStatus
from cases.models import Applicant, Approval, CaseEvent, CaseMaterial
from cases.services.review import approval_receive_supplement
from departments.models import MaterialType

from ..constants import UPLOAD_MAX_BYTES_DEFAULT, UPLOAD_SIGNATURES
from ..exceptions import SupplementError


def _content_type(data: bytes) -> str | None:
    for signature, content_type in UPLOAD_SIGNATURES.items():
        if data.startswith(signature):
            return content_type
    return None


def supplement_material_upload(
    *, approval: Approval, applicant: Applicant, material_code: str, upload: UploadedFile
) -> CaseMaterial:
    """The applicant hands in one listed material online. When the last one the
    department asked for is in, its review resumes at once (and the case with it)."""
    if approval.case.applicant_id != applicant.pk:
        raise SupplementError(_("只能为本人的办件补正材料。"))
    limit = int(getattr(settings, "UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES_DEFAULT))
    if upload is None or not upload.size:
        raise SupplementError(_("请选择要上传的文件。"))
    if upload.size > limit:
        raise SupplementError(_("文件太大：最多%(limit)s MB。") % {"limit": limit // (1024 * 1024)})
    data = upload.read()
    content_type = _content_type(data)
    if content_type is None:
        raise SupplementError(_("只接受 PDF、JPEG 或 PNG 文件。"))
    with transaction.atomic():
        locked = (
            Approval.objects.select_for_update(of=("self",))
            .select_related("case", "item", "department")
            .get(pk=approval.pk)
        )
        if locked.state != ApprovalState.SUPPLEMENT_REQUESTED:
            raise SupplementError(_("该补正要求已处理，无需再上传。"))
        if material_code not in (locked.supplement_materials or []):
            raise SupplementError(_("部门没有要求补正这项材料。"))
        material_type = MaterialType.objects.filter(code=material_code).first()
        if material_type is None:
            raise SupplementError(_("目录中没有这项材料，请联系综合窗口。"))
        material, _created = CaseMaterial.objects.select_for_update().get_or_create(
            case=locked.case, material_type=material_type
        )
        material.status = MaterialStatus.UPLOADED
        material.detail = _("申请人在线补正")
        material.certificate = None
        material.verification = None
        material.earlier_material = None
        material.producing_item = None
        material.original_name = (upload.name or "")[-255:]
        material.size = len(data)
        material.content_type = content_type
        material.sha256 = hashlib.sha256(data).hexdigest()
        material.file.save("upload", ContentFile(data), save=False)
        material.save()
        CaseEvent.objects.create(
            case=locked.case,
            approval=locked,
            kind=EventKind.NOTE,
            name="supplement_upload",
            actor_label="applicant",
            note=material_type.name,
            data={"material_type": material_code, "sha256": material.sha256},
            is_public=True,
        )
        # Only what arrived since the department asked counts as the supplement.
        since = {"updated_at__gte": locked.suspended_at} if locked.suspended_at else {}
        received = set(
            CaseMaterial.objects.filter(
                case=locked.case,
                material_type__code__in=locked.supplement_materials,
                status=MaterialStatus.UPLOADED,
                **since,
            ).values_list("material_type__code", flat=True)
        )
        if received >= set(locked.supplement_materials):
            approval_receive_supplement(approval=locked, actor=None, actor_label="applicant")
    return material
