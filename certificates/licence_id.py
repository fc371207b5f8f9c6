"""The electronic-certificate identifier of GB/T 36904-2018 (电子证照标识).

    1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<3-digit version>.<check character>

``1.2.156.3005.2`` is the root code of electronic certificates. The check character is
ISO/IEC 7064 MOD 37,36 (GB/T 17710), computed — as the national platforms do — over the
four data segments joined without their dots: type code + issuer code + serial + version.
A change or renewal keeps type, issuer and serial and raises the version, so every
version of one certificate shares the identifier up to the version segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

ROOT_CODE = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SEGMENT = re.compile(r"^[0-9A-Z]+$")


class LicenceIdError(ValueError):
    """An identifier, or one of its parts, is malformed; the message says which part."""


def mod37_36_check_character(data: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 hybrid check character of ``data`` (digits and A–Z).

    Hybrid system, modulus M = 36: start with P = M; for each character
    S = (P + value) mod M (0 counts as M), P = 2·S mod (M + 1); the check character
    is the one whose value c makes (P + c) mod M = 1.
    """
    modulus = len(ALPHABET)
    product = modulus
    for position, character in enumerate(data.upper(), start=1):
        value = ALPHABET.find(character)
        if value < 0:
            raise LicenceIdError(
                _("第%(position)d个字符「%(character)s」不是数字或大写字母。")
                % {"position": position, "character": character}
            )
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return ALPHABET[(modulus + 1 - product) % modulus]


def mod37_36_is_valid(data_with_check: str) -> bool:
    if len(data_with_check) < 2:
        return False
    try:
        return mod37_36_check_character(data_with_check[:-1]) == data_with_check[-1].upper()
    except LicenceIdError:
        return False


@dataclass(frozen=True)
class LicenceId:
    type_code: str
    issuer_code: str
    serial: str
    version: int
    check_character: str

    def __str__(self) -> str:
        return (
            f"{ROOT_CODE}.{self.type_code}.{self.issuer_code}.{self.serial}"
            f".{self.version:03d}.{self.check_character}"
        )


def _check_segment(value: str, label: str) -> str:
    if not value or not _SEGMENT.match(value):
        raise LicenceIdError(
            _("电子证照标识的%(part)s「%(value)s」只能由数字和大写字母组成，且不能为空。")
            % {"part": label, "value": value}
        )
    return value


def licence_id_build(*, type_code: str, issuer_code: str, serial: str, version: int) -> LicenceId:
    """Assemble an identifier and compute its check character."""
    _check_segment(type_code, _("证照类型代码"))
    _check_segment(issuer_code, _("颁发机构代码"))
    _check_segment(serial, _("流水号"))
    if not 1 <= version <= 999:
        raise LicenceIdError(
            _("电子证照标识的版本号应在 1 到 999 之间，而不是 %(version)s。") % {"version": version}
        )
    check = mod37_36_check_character(f"{type_code}{issuer_code}{serial}{version:03d}")
    return LicenceId(type_code, issuer_code, serial, version, check)


def licence_id_parse(value: str) -> LicenceId:
    """Split and check an identifier; a wrong check character is named in the message."""
    prefix = ROOT_CODE + "."
    if not value.startswith(prefix):
        raise LicenceIdError(_("电子证照标识应以 %(root)s 开头。") % {"root": ROOT_CODE})
    parts = value[len(prefix) :].split(".")
    if len(parts) != 5:
        raise LicenceIdError(
            _(
                "电子证照标识在根代码之后应有五段（类型、颁发机构、流水号、版本号、校验位），实际为 %(count)d 段。"
            )
            % {"count": len(parts)}
        )
    type_code, issuer_code, serial, version, check = parts
    if not re.fullmatch(r"[0-9]{3}", version):
        raise LicenceIdError(
            _("电子证照标识的版本号应为三位数字，而不是「%(version)s」。") % {"version": version}
        )
    expected = licence_id_build(
        type_code=type_code, issuer_code=issuer_code, serial=serial, version=int(version)
    )
    if check != expected.check_character:
        raise LicenceIdError(
            _("电子证照标识校验位错误：应为 %(expected)s，而不是 %(actual)s。")
            % {"expected": expected.check_character, "actual": check}
        )
    return expected


def licence_type_code(certificate_type_code: str) -> str:
    """The type segment for one of our catalogue codes (``FOOD_BUSINESS_LICENCE`` →
    ``FOODBUSINESSLICENCE``): the identifier allows only digits and capital letters."""
    return re.sub(r"[^0-9A-Z]", "", certificate_type_code.upper())
