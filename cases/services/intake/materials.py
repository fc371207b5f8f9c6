"""Scans handed over at the window (or online), and evidence the applicant declines."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from ...constants import CaseState, EventKind, MaterialStatus
from ...exceptions import CaseError
from ...models import Case, CaseEvent, CaseMaterial
from .resolution import case_checklist

# The content decides the type, never the name: (magic bytes, MIME type, label).
ALLOWED_SIGNATURES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)
# States in which the applicant may still hand over or change materials.
MATERIAL_EDITABLE_STATES = (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS)


class UploadError(CaseError):
    """A file that cannot be accepted; ``field`` names the input it is about."""

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


def upload_max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


def _sniff(head: bytes) -> str | None:
    for signature, content_type, _label in ALLOWED_SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _check_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise UploadError(_("文件名不能包含路径（/ 或 \\），请只提交文件本身。"))
    return name[:255]


def _lock_editable(case: Case) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.state not in MATERIAL_EDITABLE_STATES:
        raise CaseError(
            _("办件 %(number)s 当前状态为「%(state)s」，不能再更改材料。")
            % {"number": locked.tracking_no, "state": locked.get_state_display()}
        )
    return locked


def case_material_upload(
    *, case: Case, material_type_code: str, file: Any, actor: Any = None, actor_label: str = ""
) -> CaseMaterial:
    """A scan of one required material: checked, hashed and stored under a name of our own."""
    entries = {entry.material_type.code: entry for entry in case_checklist(case=case)}
    entry = entries.get((material_type_code or "").strip())
    if entry is None:
        raise UploadError(
            _("本办件不需要材料「%(code)s」。") % {"code": material_type_code},
            field="material_type",
        )
    if file is None:
        raise UploadError(_("请选择要上传的文件。"))
    # ``sent_name``: the name as the client sent it, before Django cut it to its base.
    original_name = _check_name(getattr(file, "sent_name", None) or getattr(file, "name", "") or "")
    limit = upload_max_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise UploadError(
            _("文件过大：%(size).1f MB，上限为 %(limit).0f MB。")
            % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024}
        )
    digest = hashlib.sha256()
    chunks = []
    total = 0
    for chunk in file.chunks() if hasattr(file, "chunks") else [file.read()]:
        total += len(chunk)
        if total > limit:
            raise UploadError(
                _("文件过大：超过上限 %(limit).0f MB。") % {"limit": limit / 1024 / 1024}
            )
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise UploadError(_("文件是空的。"))
    content_type = _sniff(content[:16])
    if content_type is None:
        raise UploadError(_("只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，不看扩展名）。"))
    with transaction.atomic():
        case = _lock_editable(case)
        material, _created = CaseMaterial.objects.get_or_create(
            case=case, material_type=entry.material_type
        )
        material.status = MaterialStatus.UPLOADED
        material.sha256 = digest.hexdigest()
        material.size = total
        material.content_type = content_type
        material.original_name = original_name
        material.certificate = None
        material.verification = None
        material.earlier_material = None
        material.producing_item = None
        material.detail = _("已提交扫描件（%(size)d 字节）") % {"size": total}
        # upload_to names the file from the case, the type and the hash: never the user's name.
        material.file.save("upload", ContentFile(content), save=False)
        material.save()
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.NOTE,
            name="material_upload",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=actor_label if not getattr(actor, "is_authenticated", False) else "",
            note=_("提交材料「%(material)s」") % {"material": entry.material_type.name},
            data={"material_type": entry.material_type.code, "sha256": material.sha256},
        )
    return material


def case_material_decline_evidence(
    *, case: Case, material_type_code: str, actor: Any = None, actor_label: str = ""
) -> CaseMaterial:
    """The applicant does not want the data the government holds used: they hand over paper."""
    with transaction.atomic():
        case = _lock_editable(case)
        material = (
            CaseMaterial.objects.select_related("material_type")
            .filter(case=case, material_type__code=material_type_code)
            .first()
        )
        if material is None or material.status not in (
            MaterialStatus.REUSED_CERTIFICATE,
            MaterialStatus.VERIFIED,
            MaterialStatus.REUSED_MATERIAL,
        ):
            raise CaseError(
                _("材料「%(code)s」没有可拒绝使用的共享数据或证照。") % {"code": material_type_code}
            )
        previous = {"status": material.status, "detail": material.detail}
        material.evidence_declined = True
        material.status = MaterialStatus.MISSING
        material.certificate = None
        material.verification = None
        material.earlier_material = None
        material.detail = _("申请人选择提交纸质材料")
        material.save()
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.NOTE,
            name="evidence_declined",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=actor_label if not getattr(actor, "is_authenticated", False) else "",
            note=_("申请人拒绝使用「%(material)s」的共享数据，改为提交纸质材料。")
            % {"material": material.material_type.name},
            data={"material_type": material.material_type.code, "previous": previous},
        )
    return material
