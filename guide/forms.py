from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SEARCH_MAX_LENGTH = 50


class GuideSearchForm(forms.Form):
    q = forms.CharField(
        label=_("搜索事项"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": _("搜索词最多%(limit_value)d个字，请缩短后再搜。"),
            "null_characters_not_allowed": _("搜索词含有不能识别的字符。"),
        },
    )
