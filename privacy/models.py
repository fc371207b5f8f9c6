"""What retention did (``RetentionRun``) and what it removed from the audit chains
(``AuditChainGap``), so that ``manage.py verify_audit`` still checks every chain."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import RunStatus, RunTrigger


class RetentionRun(models.Model):
    """One run of ``apply_retention``: when, how it was started, and how many rows of each
    kind of personal data it deleted or anonymised (``counts``: kind → number; a kind
    whose period is 0 is kept without limit and appears as ``null``). Each chunk commits
    on its own, so a run that failed or was cut off keeps the counts of what it did."""

    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    trigger = models.CharField(_("触发方式"), max_length=10, choices=RunTrigger.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=RunStatus.choices, default=RunStatus.IN_PROGRESS
    )
    periods = models.JSONField(_("保存期限（天）"), default=dict, blank=True)
    counts = models.JSONField(_("处理条数"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("个人信息清理记录")
        verbose_name_plural = _("个人信息清理记录")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class AuditChainGap(models.Model):
    """Positions ``first_position``..``last_position`` of one audit chain were deleted by
    retention (``cases.audit.ChainGap``). Adjacent ranges are merged, so a chain has one
    row here per stretch of removed rows between rows still kept."""

    chain_name = models.CharField(
        _("审计链"), max_length=100, help_text=_("链头名称，如 cases.verification/3。")
    )
    first_position = models.BigIntegerField(_("起始序号"))
    last_position = models.BigIntegerField(_("结束序号"))
    previous_hash = models.CharField(_("前一记录哈希"), max_length=64)
    last_hash = models.CharField(_("最后删除记录哈希"), max_length=64)
    run = models.ForeignKey(
        RetentionRun,
        verbose_name=_("清理记录"),
        on_delete=models.PROTECT,
        related_name="chain_gaps",
        help_text=_("最近一次扩展此区间的清理。"),
    )

    class Meta:
        ordering = ["chain_name", "first_position"]
        verbose_name = _("审计链删除区间")
        verbose_name_plural = _("审计链删除区间")
        constraints = [
            models.UniqueConstraint(
                fields=["chain_name", "first_position"], name="audit_chain_gap_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(last_position__gte=F("first_position")) & Q(first_position__gte=1),
                name="audit_chain_gap_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain_name} #{self.first_position}–{self.last_position}"
