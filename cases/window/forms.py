"""Forms of the window pages: shape only; the intake service decides the rest."""

from __future__ import annotations

import uuid
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from departments.constants import Role
from departments.roles import has_role

from ..constants import Channel, IdType
from ..services.overrides import OVERRIDE_REASON_MAX_LENGTH


def override_reason_field() -> forms.CharField:
    """Why a value the registry provided is replaced. Not stripped: the service tells a
    reason of only spaces from none at all."""
    return forms.CharField(
        label=_("改动共享数据的理由"),
        required=False,
        strip=False,
        max_length=OVERRIDE_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "姓名/名称、地址与共享数据登记的不一致时必填；改动将记录，事项转人工审查，"
            "证照仍以登记信息为准。"
        ),
    )


class IntakeStartForm(forms.Form):
    id_type = forms.ChoiceField(
        label=_("证件类型"),
        choices=IdType.choices,
        initial=IdType.RESIDENT_ID,
        widget=forms.RadioSelect,
    )
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=30,
        help_text=_(
            "身份证号码或统一社会信用代码；共享数据库有记录时自动预填姓名、地址、电话和申请表。"
        ),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("姓名/名称"), max_length=200, required=False, help_text=_("留空则由共享数据预填。")
    )
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    override_reason = override_reason_field()
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices, initial=Channel.WINDOW)
    applicant_present = forms.BooleanField(
        label=_("申请人本人在窗口"), required=False, initial=True
    )
    items = forms.MultipleChoiceField(label=_("事项"), required=False, choices=())
    bundle = forms.CharField(label=_("一件事"), required=False, max_length=40)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex
        # The service checks the codes; here any submitted code is let through to it.
        submitted = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        self.fields["items"].choices = [(code, code) for code in submitted]
        if has_role(user, Role.AGENT) and not has_role(user, Role.CLERK):
            self.fields["channel"].choices = [(Channel.AGENT, Channel.AGENT.label)]
            self.fields["channel"].initial = Channel.AGENT
            self.initial.setdefault("applicant_present", False)
        else:
            self.fields["channel"].choices = [
                (Channel.WINDOW, Channel.WINDOW.label),
                (Channel.ONLINE, Channel.ONLINE.label),
            ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ApplicantForm(forms.Form):
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    override_reason = override_reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class UploadForm(forms.Form):
    material_type = forms.CharField(widget=forms.HiddenInput, max_length=40)
    file = forms.FileField(label=_("扫描件"), allow_empty_file=True)
