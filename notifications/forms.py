from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    """Shape only; the service decides what may be saved."""

    sms_enabled = forms.BooleanField(label=_("接收短信（发送到登记的手机号）"), required=False)
    email_enabled = forms.BooleanField(label=_("接收电子邮件"), required=False)
    email = forms.EmailField(
        label=_("电子邮箱"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("请输入有效的电子邮箱地址，例如 name@example.com。")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("email_enabled") and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", _("接收电子邮件需要填写电子邮箱。"))
        return cleaned
