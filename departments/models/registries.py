"""The registries (shareable data sets), their local records, and the agreements that
let a department read one."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..constants import ConnectorKind, RegistryKind
from ..identifiers import mask_id_number
from .organisation import Department
from .validators import code_validator


class Registry(models.Model):
    """A department's shareable data set; read only through the sharing gateway."""

    code = models.CharField(_("代码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="registries"
    )
    kind = models.CharField(_("类别"), max_length=20, choices=RegistryKind.choices)
    connector = models.CharField(
        _("接入方式"), max_length=10, choices=ConnectorKind.choices, default=ConnectorKind.LOCAL
    )
    endpoint_url = models.URLField(_("接口地址"), blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("共享数据库")
        verbose_name_plural = _("共享数据库")
        constraints = [
            models.CheckConstraint(
                condition=Q(connector=ConnectorKind.LOCAL) | ~Q(endpoint_url=""),
                name="registry_http_needs_endpoint",
                violation_error_message=_("部门HTTP接口方式必须填写接口地址。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class RegistryRecord(models.Model):
    """One subject's entry in a local-table registry (the default and the demo connector)."""

    registry = models.ForeignKey(
        Registry, verbose_name=_("共享数据库"), on_delete=models.CASCADE, related_name="records"
    )
    subject_id = models.CharField(
        _("主体号码"), max_length=18, help_text=_("身份证号码或统一社会信用代码。")
    )
    data = models.JSONField(_("数据"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("共享数据记录")
        verbose_name_plural = _("共享数据记录")
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "subject_id"], name="registry_record_unique_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registry.code}:{mask_id_number(self.subject_id)}"


class SharingAgreement(models.Model):
    """Which department may read which registry, and for what. No agreement, no read."""

    consumer = models.ForeignKey(
        Department,
        verbose_name=_("使用部门"),
        on_delete=models.CASCADE,
        related_name="sharing_agreements",
    )
    registry = models.ForeignKey(
        Registry,
        verbose_name=_("共享数据库"),
        on_delete=models.CASCADE,
        related_name="sharing_agreements",
    )
    purpose = models.CharField(_("约定用途"), max_length=200)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["consumer", "registry"]
        verbose_name = _("共享协议")
        verbose_name_plural = _("共享协议")
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "registry"], name="sharing_unique_consumer_registry"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="sharing_valid_range",
                violation_error_message=_("失效日期不能早于生效日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consumer.code} → {self.registry.code}"
