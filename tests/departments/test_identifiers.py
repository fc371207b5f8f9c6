"""GB 11643 resident ID and GB 32100 credit code: valid numbers pass, each fault is named."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from departments.identifiers import (
    make_resident_id,
    make_uscc,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_identifier,
    validate_resident_id,
    validate_uscc,
)

VALID_RESIDENT_IDS = [
    "11010519491231002X",  # the standard's own example, check character X
    "440524198001010013",
    make_resident_id(region="510104", birth_date=dt.date(1990, 3, 7), sequence=123),
]
VALID_USCCS = ["91350100M000100Y43", make_uscc(region="510100", organisation_code="MA61XR2K3")]


@pytest.mark.parametrize("number", VALID_RESIDENT_IDS)
def test_valid_resident_ids_pass(number):
    validate_resident_id(number)


def test_lower_case_x_and_spaces_are_normalised():
    validate_resident_id("110105 19491231 002x")
    assert normalise_identifier(" 110105 19491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code", "fragment"),
    [
        ("1101051949123100", "resident_id_length", "18位，这里是16位"),
        ("11010519491231002Y", "resident_id_characters", "数字或X"),
        ("1101051949123A002X", "resident_id_characters", "前17位只能是数字"),
        ("99010519491231002X", "resident_id_region", "地区码 990105"),
        ("11010519491331002X", "resident_id_birth_date", "19491331"),
        ("110105#2991231002X".replace("#", "2"), "resident_id_birth_date", "22991231"),
        ("110105194912310021", "resident_id_check", "应为 X，而不是 1"),
    ],
)
def test_each_resident_id_fault_is_named(number, code, fragment):
    with pytest.raises(ValidationError) as error:
        validate_resident_id(number)
    assert error.value.code == code
    assert fragment in error.value.messages[0]


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_credit_codes_pass(code):
    validate_uscc(code)


@pytest.mark.parametrize(
    ("code", "error_code", "fragment"),
    [
        ("91350100M000100Y4", "uscc_length", "18位，这里是17位"),
        ("91350100M000I00Y43", "uscc_characters", "I"),
        ("91350100MO0S100Y43", "uscc_characters", "O、S"),
        ("Z1350100M000100Y43", "uscc_characters", "Z"),
        ("H1350100M000100Y43", "uscc_authority", "H"),
        ("91990100M000100Y43", "uscc_region", "990100"),
        ("91350100M000100Y44", "uscc_check", "应为 3，而不是 4"),
    ],
)
def test_each_credit_code_fault_is_named(code, error_code, fragment):
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert error.value.code == error_code
    assert fragment in error.value.messages[0]


def test_masking():
    assert mask_id_number("110105194912310021") == "1101**********0021"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("𠮷田大郎") == "𠮷**郎"
    assert mask_phone("13800138000") == "138****8000"
