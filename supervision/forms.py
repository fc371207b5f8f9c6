from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.constants import Channel
from centres.models import Centre
from centres.scope import centres_in_scope
from departments.models import Department, ServiceItem


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), required=False)
    date_to = forms.DateField(label=_("结束日期"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return cleaned


class AuditSearchForm(DateRangeForm):
    TRAIL_EVENTS = "events"
    TRAIL_ACCESS = "access"

    trail = forms.ChoiceField(
        label=_("记录"),
        choices=[(TRAIL_EVENTS, _("办件事件")), (TRAIL_ACCESS, _("数据查询记录"))],
        initial=TRAIL_EVENTS,
        required=False,
    )
    tracking_no = forms.CharField(label=_("办件编号"), max_length=20, required=False)
    person = forms.CharField(
        label=_("人员"),
        max_length=150,
        required=False,
        help_text=_("操作人用户名，或申请人/被查询人的完整证件号码。"),
    )
    department = forms.ModelChoiceField(
        label=_("部门"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )

    def clean_trail(self) -> str:
        return self.cleaned_data.get("trail") or self.TRAIL_EVENTS

    def clean_tracking_no(self) -> str:
        return self.cleaned_data["tracking_no"].strip().upper()

    def clean_person(self) -> str:
        return self.cleaned_data["person"].strip()


class DashboardFilterForm(DateRangeForm):
    department = forms.ModelChoiceField(
        label=_("部门"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )
    item = forms.ModelChoiceField(
        label=_("事项"),
        queryset=ServiceItem.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[("", _("全部"))] + list(Channel.choices), required=False
    )
    centre = forms.ModelChoiceField(
        label=_("服务中心"),
        queryset=Centre.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("本级及下级全部"),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        """The centres offered are the supervisor's and those below it, nothing else."""
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres_in_scope(user).order_by("path")


class WorkingCalendarYearForm(forms.Form):
    """One year's announced holidays, typed or pasted line by line, or a file of such lines."""

    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    source = forms.CharField(
        label=_("依据"),
        max_length=200,
        help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知"),
    )
    entries = forms.CharField(
        label=_("放假和调休上班日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 48}),
        help_text=_("每行一天：「日期 休 名称」或「日期 班 名称」，如「2027-02-06 休 春节」。"),
    )
    file = forms.FileField(
        label=_("或上传文本文件"), required=False, help_text=_("UTF-8 文本，格式同上。")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            try:
                cleaned["entries"] = upload.read(1_000_000).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("文件不是 UTF-8 文本。")) from None
        if not (cleaned.get("entries") or "").strip() and not self.errors:
            raise forms.ValidationError(_("请录入日期，或上传文件。"))
        return cleaned
