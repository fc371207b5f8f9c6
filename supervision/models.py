from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Rating

from .constants import RectificationState


class Rectification(models.Model):
    """The task a bad rating opens: rectify within 15 working days, call the applicant back."""

    rating = models.OneToOneField(
        Rating, verbose_name=_("评价"), on_delete=models.PROTECT, related_name="rectification"
    )
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=RectificationState.choices,
        default=RectificationState.OPEN,
    )
    due_date = models.DateField(_("整改期限"))
    closing_note = models.TextField(_("整改结果"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        indexes = [models.Index(fields=["state", "due_date"], name="rectification_state_due")]

    def __str__(self) -> str:
        return f"{self.rating.case_id} {self.get_state_display()}"


class RectificationCallback(models.Model):
    """One call back to the applicant (回访) about a rectification."""

    rectification = models.ForeignKey(
        Rectification,
        verbose_name=_("差评整改"),
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT
    )
    note = models.TextField(_("回访记录"))
    is_applicant_satisfied = models.BooleanField(_("申请人满意"), default=False)
    created_at = models.DateTimeField(_("回访时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")

    def __str__(self) -> str:
        return f"{self.rectification_id} {self.created_at:%Y-%m-%d}"


# --- pre-aggregated figures for the dashboard at a million cases -------------------------


class WorkdayCalendar(models.Model):
    """Each day with the number of Chinese working days up to it: working days
    between two dates become one subtraction in SQL."""

    day = models.DateField(_("日期"), primary_key=True)
    ordinal = models.IntegerField(_("累计工作日"))
    is_working_day = models.BooleanField(_("工作日"))

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        return f"{self.day} #{self.ordinal}"


class CaseFigureRow(models.Model):
    """One row per case with what the rollups count of it, rebuilt with them: the visits
    and the material requirements are counted once per case here, not once per rollup."""

    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="figure_row",
    )
    day = models.DateField()
    channel = models.CharField(max_length=10)
    centre_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=20)
    processing_days = models.IntegerField(null=True)
    is_on_time = models.BooleanField(null=True)
    visits = models.IntegerField()
    requirements = models.IntegerField()
    requirements_reused = models.IntegerField()

    class Meta:
        verbose_name = _("办件统计行")
        verbose_name_plural = _("办件统计行")

    def __str__(self) -> str:
        return f"{self.case_id} {self.day} {self.state}"


class CaseFigures(models.Model):
    """Cases counted by creation day, channel, centre, state, processing time and
    punctuality: the columns every case rollup shares."""

    day = models.DateField()
    channel = models.CharField(max_length=10)
    centre_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=20)
    processing_days = models.IntegerField(null=True)
    is_on_time = models.BooleanField(null=True)
    cases = models.IntegerField()
    closed_at_most_one_visit = models.IntegerField()
    closed_zero_visits = models.IntegerField()
    requirements = models.IntegerField()
    requirements_reused = models.IntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.state} {self.cases}"


class CaseFigureRollup(CaseFigures):
    """Every case once."""

    class Meta:
        verbose_name = _("办件统计汇总")
        verbose_name_plural = _("办件统计汇总")
        indexes = [models.Index(fields=["day", "channel"], name="case_rollup_day")]


class CaseItemFigureRollup(CaseFigures):
    """Every case once per item it asks for: the dashboard filtered by item."""

    item_id = models.BigIntegerField()
    department_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("办件统计汇总（按事项）")
        verbose_name_plural = _("办件统计汇总（按事项）")
        indexes = [models.Index(fields=["item_id", "day"], name="case_item_rollup_item")]


class CaseDepartmentFigureRollup(CaseFigures):
    """Every case once per department one of its items belongs to: filtered by
    department, a case of two items of the same department counts once."""

    department_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("办件统计汇总（按部门）")
        verbose_name_plural = _("办件统计汇总（按部门）")
        indexes = [models.Index(fields=["department_id", "day"], name="case_department_rollup_dep")]


class ApprovalFigures(models.Model):
    """Approvals counted by their case's creation day, channel and centre, department,
    state, decision time, punctuality and whether overdue at the refresh."""

    day = models.DateField()
    channel = models.CharField(max_length=10)
    centre_id = models.BigIntegerField(null=True)
    department_id = models.BigIntegerField()
    state = models.CharField(max_length=30)
    decision_days = models.IntegerField(null=True)
    is_on_time = models.BooleanField(null=True)
    is_overdue = models.BooleanField()
    approvals = models.IntegerField()
    rating_sum = models.IntegerField()
    rating_count = models.IntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.department_id} {self.state} {self.approvals}"


class ApprovalFigureRollup(ApprovalFigures):
    """Every approval once."""

    class Meta:
        verbose_name = _("审批统计汇总")
        verbose_name_plural = _("审批统计汇总")
        indexes = [models.Index(fields=["day", "channel"], name="approval_rollup_day")]


class ApprovalItemFigureRollup(ApprovalFigures):
    """Every approval once per item of its case: the approvals of the cases that ask for
    an item (the dashboard filtered by item)."""

    case_item_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("审批统计汇总（按办件事项）")
        verbose_name_plural = _("审批统计汇总（按办件事项）")
        indexes = [models.Index(fields=["case_item_id", "day"], name="approval_item_rollup_item")]


class FigureRefresh(models.Model):
    """When the rollups were last rebuilt (one row); its lock serialises rebuilds."""

    name = models.CharField(max_length=20, primary_key=True, default="dashboard")
    refreshed_at = models.DateTimeField(null=True)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("统计刷新")
        verbose_name_plural = _("统计刷新")

    def __str__(self) -> str:
        return f"{self.name} {self.refreshed_at}"
