"""The shapes the pages accept; what may be booked is the service's to decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.constants import IdType


class SlotForm(forms.Form):
    """Which slot: a centre and queue by code, a day, a slot's start."""

    centre = forms.CharField(label=_("服务中心"), max_length=20)
    queue = forms.CharField(label=_("队列"), max_length=1)
    day = forms.DateField(
        label=_("日期"), error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")}
    )
    start = forms.TimeField(
        label=_("时段"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": _("时段格式应为 HH:MM。"), "required": _("请选择一个时段。")},
    )


class WindowBookForm(SlotForm):
    """The clerk or agent books for the person in front of them."""

    id_type = forms.ChoiceField(
        label=_("证件类型"),
        choices=IdType.choices,
        initial=IdType.RESIDENT_ID,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    id_number = forms.CharField(label=_("证件号码"), max_length=30)
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class CheckInForm(forms.Form):
    number = forms.CharField(
        label=_("预约号"),
        max_length=20,
        error_messages={"required": _("请输入预约号。")},
    )
