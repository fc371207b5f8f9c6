"""Forms of the hand-out pages: shape only; the services check the content and name each wrong field."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from ..constants import CourierCompany
from ..exceptions import DeliveryInputError
from ..services.handout import DENIAL_HANDED_AT_WINDOW, DENIAL_NOTIFIED


def _helper(layout: Layout | None = None) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


def add_service_errors(form: forms.Form, error: DeliveryInputError) -> None:
    """Each of the service's errors on its field (``address.city`` → ``city``), the rest on top."""
    for key, messages in error.errors.items():
        field = key.split(".", 1)[1] if key.startswith("address.") else key
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class CollectForm(forms.Form):
    collected_by = forms.CharField(label=_("领取人姓名"), max_length=100, required=False)
    by_applicant = forms.TypedChoiceField(
        label=_("领取人"),
        choices=[("1", _("申请人本人")), ("0", _("受托人（持委托书）"))],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    id_checked = forms.BooleanField(
        label=_("已核验领取人的身份证件（受托人另核委托书）"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CourierForm(forms.Form):
    courier = forms.ChoiceField(
        label=_("快递公司"), choices=CourierCompany.choices, initial=CourierCompany.EMS
    )
    waybill = forms.CharField(
        label=_("运单号"),
        max_length=40,
        required=False,
        help_text=_("EMS 运单号按万国邮联 S10 规则校验，如 EE123456785CN。"),
    )
    recipient = forms.CharField(label=_("收件人"), max_length=200, required=False)
    phone = forms.CharField(label=_("收件电话"), max_length=30, required=False)
    province = forms.CharField(label=_("省"), max_length=100, required=False)
    city = forms.CharField(label=_("市"), max_length=100, required=False)
    district = forms.CharField(label=_("区县"), max_length=100, required=False)
    street = forms.CharField(label=_("街道（乡镇）"), max_length=200, required=False)
    detail = forms.CharField(label=_("详细地址"), max_length=400, required=False)
    postal_code = forms.CharField(label=_("邮编"), max_length=10, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Layout(
                Row(Column("courier"), Column("waybill")),
                Row(Column("recipient"), Column("phone")),
                Fieldset(
                    _("收件地址"),
                    Row(Column("province"), Column("city"), Column("district")),
                    Row(Column("street"), Column("postal_code")),
                    "detail",
                ),
            )
        )


class DenialForm(forms.Form):
    how = forms.ChoiceField(
        label=_("送达方式"),
        choices=[
            (DENIAL_HANDED_AT_WINDOW, _("窗口当面送达申请人")),
            (DENIAL_NOTIFIED, _("已通知申请人（电话、短信或邮寄）")),
        ],
        initial=DENIAL_HANDED_AT_WINDOW,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明"),
        max_length=400,
        required=False,
        help_text=_("通知时写明方式和时间。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
