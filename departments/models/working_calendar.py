"""The working calendar as announced: a year's holidays and adjusted working days."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkingCalendarYear(models.Model):
    """One year's public holidays and adjusted working days (调休) as the State Council
    announced them, entered or imported by a supervisor. Such a year overrides the
    ``chinese-calendar`` library: its listed days are as entered, every other day counts
    Monday to Friday (``cases.workdays``)."""

    year = models.PositiveSmallIntegerField(
        _("年份"), primary_key=True, validators=[MinValueValidator(2000)]
    )
    source = models.CharField(
        _("依据"),
        max_length=200,
        help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return str(self.year)


class WorkingCalendarDay(models.Model):
    """A day of an announced year that is not what Monday-to-Friday says: a holiday on a
    weekday, or a weekend day worked in exchange (调休上班)."""

    year = models.ForeignKey(
        WorkingCalendarYear, verbose_name=_("年份"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如：春节、元旦调休"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日安排日")
        verbose_name_plural = _("节假日安排日")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
