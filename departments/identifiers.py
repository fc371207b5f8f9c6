"""Personal and organisation numbers: validation, generation, masking.

* Resident identity number, GB 11643-1999: 6-digit region code, 8-digit birth
  date, 3-digit sequence (odd for men, even for women), one check character
  computed with ISO 7064 MOD 11-2 (``0``-``9`` or ``X``).
* Unified social credit code, GB 32100-2015: 18 characters from the 31-symbol
  set without I, O, S, V, Z; the last one is a weighted MOD 31 check character.

Validators raise ``django.core.exceptions.ValidationError`` whose message says
exactly what is wrong, so the clerk can read it back to the applicant.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

RESIDENT_ID_LENGTH = 18
RESIDENT_ID_WEIGHTS = [2 ** (17 - position) % 11 for position in range(17)]
RESIDENT_ID_CHECK_CHARACTERS = "10X98765432"

# Province-level codes of GB/T 2260 (the first two digits of every region code).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

USCC_LENGTH = 18
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
# First character: the registering authority (1 organisation department, 5 civil
# affairs, 9 market regulation, Y other...); GB 32100 allows these.
USCC_AUTHORITY_CODES = frozenset("123456789ABCDEFGY")


def normalise_identifier(value: str) -> str:
    """Strip spaces and upper-case: clerks type ``x`` and paste numbers with spaces."""
    return "".join(str(value).split()).upper()


def resident_id_check_character(first_17_digits: str) -> str:
    total = sum(
        int(digit) * weight
        for digit, weight in zip(first_17_digits, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK_CHARACTERS[total % 11]


def validate_resident_id(value: str) -> None:
    number = normalise_identifier(value)
    if len(number) != RESIDENT_ID_LENGTH:
        raise ValidationError(
            _("居民身份证号码应为18位，这里是%(length)d位。"),
            code="resident_id_length",
            params={"length": len(number)},
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("居民身份证号码前17位只能是数字，最后一位是数字或X。"),
            code="resident_id_characters",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _(
                "居民身份证号码的地区码 %(region)s 不存在（前两位 %(province)s 不是省级行政区划代码）。"
            ),
            code="resident_id_region",
            params={"region": number[:6], "province": number[:2]},
        )
    birth = number[6:14]
    try:
        birth_date = dt.datetime.strptime(birth, "%Y%m%d").date()
    except ValueError:
        raise ValidationError(
            _("居民身份证号码第7至14位的出生日期 %(birth)s 不是有效日期。"),
            code="resident_id_birth_date",
            params={"birth": birth},
        ) from None
    if birth_date.year < 1900 or birth_date > dt.date.today():
        raise ValidationError(
            _("居民身份证号码中的出生日期 %(birth)s 不在1900年至今天之间。"),
            code="resident_id_birth_date",
            params={"birth": birth},
        )
    expected = resident_id_check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _(
                "居民身份证号码校验码错误：最后一位应为 %(expected)s，而不是 %(actual)s。请核对号码。"
            ),
            code="resident_id_check",
            params={"expected": expected, "actual": number[17]},
        )


def uscc_check_character(first_17_characters: str) -> str:
    total = sum(
        USCC_CHARSET.index(character) * weight
        for character, weight in zip(first_17_characters, USCC_WEIGHTS, strict=True)
    )
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    code = normalise_identifier(value)
    if len(code) != USCC_LENGTH:
        raise ValidationError(
            _("统一社会信用代码应为18位，这里是%(length)d位。"),
            code="uscc_length",
            params={"length": len(code)},
        )
    bad = sorted({character for character in code if character not in USCC_CHARSET})
    if bad:
        raise ValidationError(
            _(
                "统一社会信用代码含有不允许的字符 %(characters)s（不使用 I、O、S、V、Z 及小写字母以外的符号）。"
            ),
            code="uscc_characters",
            params={"characters": "、".join(bad)},
        )
    if code[0] not in USCC_AUTHORITY_CODES:
        raise ValidationError(
            _("统一社会信用代码第1位登记管理部门代码 %(character)s 无效。"),
            code="uscc_authority",
            params={"character": code[0]},
        )
    if not code[2:8].isdigit() or code[2:4] not in PROVINCE_CODES:
        raise ValidationError(
            _("统一社会信用代码第3至8位行政区划码 %(region)s 无效。"),
            code="uscc_region",
            params={"region": code[2:8]},
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "统一社会信用代码校验码错误：最后一位应为 %(expected)s，而不是 %(actual)s。请核对代码。"
            ),
            code="uscc_check",
            params={"expected": expected, "actual": code[17]},
        )


def make_resident_id(*, region: str, birth_date: dt.date, sequence: int) -> str:
    """A resident ID with a correct check character (synthetic demo and test people)."""
    first_17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first_17 + resident_id_check_character(first_17)


def make_uscc(*, authority: str = "9", kind: str = "1", region: str, organisation_code: str) -> str:
    """A credit code with a correct check character; ``organisation_code`` is 9 charset symbols."""
    first_17 = f"{authority}{kind}{region}{organisation_code}"
    return first_17 + uscc_check_character(first_17)


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``1101**********1234``: enough to recognise, not to reuse."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张*丰``, ``张三`` → ``张*``; counts characters, not bytes, so ``𠮷`` stays whole."""
    characters = list(value)
    if len(characters) <= 1:
        return value
    if len(characters) == 2:
        return characters[0] + "*"
    return characters[0] + "*" * (len(characters) - 2) + characters[-1]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
