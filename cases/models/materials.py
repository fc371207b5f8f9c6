from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number
from departments.models import Department, MaterialType, Registry, ServiceItem

from ..constants import MaterialStatus, VerificationOutcome
from .applicants import Applicant
from .base import AppendOnlyModel, chain_position_unique
from .cases import Case


def material_upload_path(instance: CaseMaterial, filename: str) -> str:
    # The stored name never comes from the user: the content hash is enough to find it.
    return f"materials/{instance.case.tracking_no}/{instance.material_type.code}-{instance.sha256[:16]}"


class Verification(AppendOnlyModel):
    """The data-access log: one read of another department's registry, granted or denied."""

    registry = models.ForeignKey(
        Registry,
        verbose_name=_("共享数据库"),
        on_delete=models.PROTECT,
        related_name="verifications",
    )
    subject_id = models.CharField(_("被查询主体"), max_length=18, db_index=True)
    applicant = models.ForeignKey(
        Applicant,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verifications",
    )
    purpose = models.CharField(_("用证事由"), max_length=200)
    case = models.ForeignKey(
        Case,
        verbose_name=_("办件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verifications",
    )
    requesting_department = models.ForeignKey(
        Department,
        verbose_name=_("查询部门"),
        on_delete=models.PROTECT,
        related_name="verifications",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查询人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    outcome = models.CharField(_("结果"), max_length=10, choices=VerificationOutcome.choices)
    request_sha256 = models.CharField(_("请求摘要"), max_length=64)
    response_sha256 = models.CharField(_("响应摘要"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # Identifies one read, unique wherever the row is copied to (hashed into the
    # audit chain; empty on rows from before it existed).
    log_key = models.UUIDField(_("记录标识"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据查询记录")
        verbose_name_plural = _("数据查询记录")
        constraints = [
            models.CheckConstraint(condition=~Q(purpose=""), name="verification_has_purpose"),
            chain_position_unique("verification_chain_position"),
        ]
        indexes = [models.Index(fields=["applicant", "-created_at"], name="verification_applicant")]

    def audit_chain_key(self) -> int:
        return self.case_id or 0

    def __str__(self) -> str:
        return f"{self.registry.code} {mask_id_number(self.subject_id)} {self.outcome}"


class CaseMaterial(models.Model):
    """One material requirement of a case (each material type once) and how it was met."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials"
    )
    material_type = models.ForeignKey(
        MaterialType,
        verbose_name=_("材料类型"),
        on_delete=models.PROTECT,
        related_name="case_materials",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=MaterialStatus.choices, default=MaterialStatus.MISSING
    )
    detail = models.CharField(_("来源说明"), max_length=300, blank=True)
    certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("复用证照"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    verification = models.ForeignKey(
        Verification, verbose_name=_("核验记录"), on_delete=models.PROTECT, null=True, blank=True
    )
    earlier_material = models.ForeignKey(
        "self", verbose_name=_("复用的历史材料"), on_delete=models.PROTECT, null=True, blank=True
    )
    producing_item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("产生此材料的事项"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    file = models.FileField(_("文件"), upload_to=material_upload_path, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    evidence_declined = models.BooleanField(
        _("申请人拒绝使用共享数据"),
        default=False,
        help_text=_("申请人选择提交纸质材料而非共享数据。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "material_type"], name="case_material_unique_type"
            ),
            models.CheckConstraint(
                condition=~Q(status=MaterialStatus.UPLOADED) | ~Q(sha256=""),
                name="case_material_upload_has_hash",
            ),
            models.CheckConstraint(
                condition=~Q(status=MaterialStatus.REUSED_CERTIFICATE)
                | Q(certificate__isnull=False),
                name="case_material_reuse_has_certificate",
            ),
            models.CheckConstraint(
                condition=~Q(status=MaterialStatus.VERIFIED) | Q(verification__isnull=False),
                name="case_material_verified_has_log",
            ),
        ]
        indexes = [
            models.Index(fields=["material_type", "status"], name="case_material_type_status")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.material_type.code} {self.status}"
