"""The code formats the catalogue's models check."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_.-]{0,39}$",
    _("代码只能由大写字母、数字、下划线、点和连字符组成，以字母或数字开头，最多40个字符。"),
)
department_code_validator = RegexValidator(
    r"^[A-Z]{1,2}$", _("部门代码是一到两个大写字母（成都式编码 A..AO）。")
)
