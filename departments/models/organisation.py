"""The departments, and the staff who work for one (or for the city)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..constants import DepartmentLevel, Role
from ..identifiers import validate_uscc
from .validators import department_code_validator


class Department(models.Model):
    code = models.CharField(
        _("代码"), max_length=2, unique=True, validators=[department_code_validator]
    )
    name = models.CharField(_("名称"), max_length=100, unique=True)
    level = models.CharField(
        _("层级"), max_length=10, choices=DepartmentLevel.choices, default=DepartmentLevel.CITY
    )
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        help_text=_("电子证照标识中的颁发机构代码。"),
        validators=[validate_uscc],
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StaffProfile(models.Model):
    """What a staff user is (clerk, reviewer...) and for which department."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    centre = models.ForeignKey(
        "centres.Centre",
        verbose_name=_("所在中心"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("窗口人员、代办员和督查人员只看本中心及下级中心的办件；留空为全市。"),
    )

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[Role.REVIEWER, Role.DEPARTMENT_SYSTEM])
                | Q(department__isnull=False),
                name="staff_reviewer_has_department",
                violation_error_message=_("部门审批人员和部门业务系统必须指定所属部门。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
