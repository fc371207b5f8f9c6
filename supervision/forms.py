from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.constants import Channel
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
