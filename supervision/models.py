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


class CaseFigureRollup(models.Model):
    """Cases counted by creation day, channel, state, processing time and punctuality."""

    day = models.DateField()
    channel = models.CharField(max_length=10)
    state = models.CharField(max_length=20)
    processing_days = models.IntegerField(null=True)
    is_on_time = models.BooleanField(null=True)
    cases = models.IntegerField()
    closed_at_most_one_visit = models.IntegerField()
    closed_zero_visits = models.IntegerField()
    requirements = models.IntegerField()
    requirements_reused = models.IntegerField()

    class Meta:
        verbose_name = _("办件统计汇总")
        verbose_name_plural = _("办件统计汇总")
        indexes = [models.Index(fields=["day", "channel"], name="case_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.state} {self.cases}"


class ApprovalFigureRollup(models.Model):
    """Approvals counted by their case's creation day and channel, department, state,
    decision time, punctuality and whether overdue at the refresh."""

    day = models.DateField()
    channel = models.CharField(max_length=10)
    department_id = models.BigIntegerField()
    state = models.CharField(max_length=30)
    decision_days = models.IntegerField(null=True)
    is_on_time = models.BooleanField(null=True)
    is_overdue = models.BooleanField()
    approvals = models.IntegerField()
    rating_sum = models.IntegerField()
    rating_count = models.IntegerField()

    class Meta:
        verbose_name = _("审批统计汇总")
        verbose_name_plural = _("审批统计汇总")
        indexes = [models.Index(fields=["day", "channel"], name="approval_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id} {self.state} {self.approvals}"


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
