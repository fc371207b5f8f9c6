"""What can be asked for: certificate and material types, the items (事项) with the
materials they require, and the bundles ("one things") of items."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from centres.constants import CentreLevel

from ..constants import Audience, CertificateFormats, ItemKind, LifeEvent
from .organisation import Department
from .registries import Registry
from .validators import code_validator


class CertificateType(models.Model):
    code = models.CharField(_("代码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    issuing_department = models.ForeignKey(
        Department,
        verbose_name=_("颁发部门"),
        on_delete=models.PROTECT,
        related_name="certificate_types",
    )
    validity_days = models.PositiveIntegerField(
        _("有效期（天）"), null=True, blank=True, help_text=_("留空表示长期有效。")
    )
    formats = models.CharField(
        _("签发格式"),
        max_length=4,
        choices=CertificateFormats.choices,
        default=CertificateFormats.PDF,
        help_text=_("签发PDF、OFD（国家标准版式文档，SM2电子印章）或两者。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MaterialType(models.Model):
    code = models.CharField(_("代码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    satisfied_by = models.ForeignKey(
        CertificateType,
        verbose_name=_("可由证照替代"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="material_types",
        help_text=_("申请人持有该类有效电子证照时，无需再交此材料。"),
    )
    verifiable_by = models.ForeignKey(
        Registry,
        verbose_name=_("可由共享数据核验"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="material_types",
    )
    reuse_validity_days = models.PositiveIntegerField(
        _("复用有效期（天）"),
        null=True,
        blank=True,
        help_text=_("此前案件提交的同类材料在多少天内可直接复用；留空表示不复用。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("材料类型")
        verbose_name_plural = _("材料类型")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ServiceItem(models.Model):
    """An item (事项) at its smallest granularity: one department, one decision."""

    code = models.CharField(_("代码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=200)
    department = models.ForeignKey(
        Department, verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="items"
    )
    kind = models.CharField(
        _("事项类型"), max_length=20, choices=ItemKind.choices, default=ItemKind.LICENCE
    )
    audience = models.CharField(
        _("服务对象"), max_length=20, choices=Audience.choices, default=Audience.BOTH
    )
    legal_basis = models.TextField(_("设定依据"), blank=True)
    description = models.TextField(
        _("事项说明"), blank=True, help_text=_("办什么、为什么要办：办事指南的第一段。")
    )
    eligibility = models.TextField(
        _("申请条件"), blank=True, help_text=_("谁可以申请、须满足的条件：办事指南逐条列出。")
    )
    promised_working_days = models.PositiveSmallIntegerField(
        _("承诺办结时限（工作日）"), validators=[MinValueValidator(0)]
    )
    fee = models.DecimalField(
        _("收费（元）"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    lowest_level = models.CharField(
        _("最低受理层级"),
        max_length=10,
        choices=CentreLevel.choices,
        default=CentreLevel.COUNTY,
        help_text=_(
            "可在该层级及以上的服务中心受理：村级代办点只受理村级代办员可代办的事项，市中心受理全部事项。"
        ),
    )
    requires_presence = models.BooleanField(
        _("需本人到场"), default=False, help_text=_("需采集照片、指纹等，必须本人到窗口。")
    )
    auto_decide = models.BooleanField(
        _("秒批"), default=False, help_text=_("所有核验通过时自动批准。")
    )
    produces = models.ForeignKey(
        CertificateType,
        verbose_name=_("产生证照"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="produced_by_items",
    )
    form_fields = models.JSONField(
        _("表单字段"),
        default=list,
        blank=True,
        help_text=_(
            '申请表字段及其预填来源，例如 [{"name": "spouse_name", "label": "配偶姓名", "prefill": "POPULATION.spouse_name"}]。'
        ),
    )
    is_active = models.BooleanField(_("在用"), default=True)
    material_types = models.ManyToManyField(
        MaterialType,
        through="MaterialRequirement",
        related_name="items",
        verbose_name=_("申请材料"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        indexes = [models.Index(fields=["department", "is_active"], name="item_department_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_decide=False) | Q(requires_presence=False),
                name="item_auto_decide_not_in_person",
                violation_error_message=_("需本人到场的事项不能设为秒批。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MaterialRequirement(models.Model):
    """One material an item asks for. A requirement whose material a certificate
    satisfies is the item's prerequisite (前置证照): the certificate-flow edge of the catalogue."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="requirements"
    )
    material_type = models.ForeignKey(
        MaterialType,
        verbose_name=_("材料类型"),
        on_delete=models.PROTECT,
        related_name="requirements",
    )
    is_required = models.BooleanField(_("必交"), default=True)
    note = models.CharField(_("要求说明"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("材料要求")
        verbose_name_plural = _("材料要求")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "material_type"], name="requirement_unique_material"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item.code} ← {self.material_type.code}"


class Bundle(models.Model):
    """A "one thing" (一件事): the items a citizen's matter needs, handled as one case."""

    code = models.CharField(_("代码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    audience = models.CharField(
        _("服务对象"), max_length=20, choices=Audience.choices, default=Audience.BOTH
    )
    life_event = models.CharField(
        _("主题"), max_length=20, choices=LifeEvent.choices, default=LifeEvent.OTHER
    )
    is_all_or_nothing = models.BooleanField(
        _("整体办理"), default=False, help_text=_("一项不予批准时，其余事项一并终止。")
    )
    items = models.ManyToManyField(
        ServiceItem, through="BundleItem", related_name="bundles", verbose_name=_("事项")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BundleItem(models.Model):
    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="bundle_items"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="bundle_items"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))

    class Meta:
        ordering = ["bundle", "position"]
        verbose_name = _("一件事所含事项")
        verbose_name_plural = _("一件事所含事项")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_unique_item"),
            models.UniqueConstraint(
                fields=["bundle", "position"], name="bundle_item_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bundle.code} #{self.position} {self.item.code}"
