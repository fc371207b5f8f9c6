"""Waybill numbers: which courier companies we hand results to, and what their numbers look like.

* EMS numbers follow the UPU S10 standard: two letters (the service indicator),
  an eight-digit serial number, one check digit and the two-letter ISO 3166-1
  code of the issuing postal administration, e.g. ``EE123456785CN``. The check
  digit weighs the serial's digits by 8 6 4 2 3 5 9 7, takes ``11 - (sum mod 11)``
  and writes 10 as 0 and 11 as 5.
* The other companies publish no check algorithm: their numbers get a format
  check (prefix and length) that catches a digit dropped or a wrong company.

Validators raise ``django.core.exceptions.ValidationError`` whose message says
exactly what is wrong, so the clerk can fix it while the applicant is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..constants import CourierCompany

S10_LENGTH = 13
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$")


@dataclass(frozen=True)
class WaybillRule:
    pattern: re.Pattern[str]
    description: Promise
    example: str


# Format checks for companies without a published check digit. The lengths are
# the ranges the companies have used over the years, not just today's.
WAYBILL_RULES: dict[str, WaybillRule] = {
    CourierCompany.SF: WaybillRule(
        re.compile(r"^SF[0-9]{12,13}$"), _("SF 加12至13位数字"), "SF1234567890123"
    ),
    CourierCompany.JD: WaybillRule(
        re.compile(r"^JD[A-Z0-9]{11,16}$"), _("JD 加11至16位字母或数字"), "JDVA12345678901"
    ),
    CourierCompany.YTO: WaybillRule(
        re.compile(r"^YT[0-9]{13,15}$"), _("YT 加13至15位数字"), "YT1234567890123"
    ),
    CourierCompany.ZTO: WaybillRule(
        re.compile(r"^[0-9]{12,15}$"), _("12至15位数字"), "731234567890123"
    ),
    CourierCompany.STO: WaybillRule(
        re.compile(r"^[0-9]{12,15}$"), _("12至15位数字"), "773123456789012"
    ),
    CourierCompany.YUNDA: WaybillRule(
        re.compile(r"^[0-9]{13,15}$"), _("13至15位数字"), "4312345678901"
    ),
}


def normalise_waybill(value: str) -> str:
    """Strip spaces and dashes and upper-case: labels print numbers in groups."""
    return re.sub(r"[\s\-]", "", str(value)).upper()


def s10_check_digit(serial_number: str) -> int:
    """The UPU S10 check digit of an eight-digit serial number."""
    if len(serial_number) != 8 or not serial_number.isdigit():
        raise ValueError("an S10 serial number has exactly eight digits")
    total = sum(
        int(digit) * weight for digit, weight in zip(serial_number, S10_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def make_s10(*, service: str, serial_number: int, country: str = "CN") -> str:
    """A valid S10 number, e.g. ``make_s10(service="EA", serial_number=12345678)``."""
    serial = f"{serial_number:08d}"
    return f"{service}{serial}{s10_check_digit(serial)}{country}"


def validate_s10(value: str) -> str:
    """The normalised S10 number, or a ``ValidationError`` saying what is wrong with it."""
    number = normalise_waybill(value)
    if len(number) != S10_LENGTH:
        raise ValidationError(
            _(
                "EMS 运单号应为13位（2个字母、8位序号、1位校验码、2个字母的国家代码），"
                "例如 EE123456785CN；您输入的是%(length)s位。"
            ),
            code="s10_length",
            params={"length": len(number)},
        )
    if not S10_SHAPE.match(number):
        raise ValidationError(
            _("EMS 运单号格式应为：2个字母 + 9位数字 + 2个字母，例如 EE123456785CN。"),
            code="s10_format",
        )
    country = number[11:]
    if pycountry.countries.get(alpha_2=country) is None:
        raise ValidationError(
            _("EMS 运单号最后两位应为发件国家代码（如 CN），「%(country)s」不是有效的国家代码。"),
            code="s10_country",
            params={"country": country},
        )
    expected = s10_check_digit(number[2:10])
    if int(number[10]) != expected:
        raise ValidationError(
            _("EMS 运单号校验码错误：第11位应为 %(expected)s，而不是 %(actual)s。请核对面单。"),
            code="s10_check_digit",
            params={"expected": expected, "actual": number[10]},
        )
    return number


def validate_waybill(*, courier: str, waybill: str) -> str:
    """The normalised waybill number of ``courier``, or a ``ValidationError``."""
    if courier not in CourierCompany.values:
        raise ValidationError(
            _("不支持的快递公司「%(courier)s」，可选：%(choices)s。"),
            code="courier_unknown",
            params={"courier": courier, "choices": "、".join(CourierCompany.values)},
        )
    if not str(waybill).strip():
        raise ValidationError(_("请填写运单号。"), code="waybill_required")
    if courier == CourierCompany.EMS:
        return validate_s10(waybill)
    number = normalise_waybill(waybill)
    rule = WAYBILL_RULES[courier]
    if not rule.pattern.match(number):
        raise ValidationError(
            _("%(courier)s运单号格式不正确：应为%(rule)s，例如 %(example)s。"),
            code="waybill_format",
            params={
                "courier": CourierCompany(courier).label,
                "rule": rule.description,
                "example": rule.example,
            },
        )
    return number
