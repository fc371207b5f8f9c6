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
