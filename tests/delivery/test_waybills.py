"""Waybill numbers: UPU S10 for EMS (check digit), a format check for the other companies."""

import pytest
from django.core.exceptions import ValidationError

from cases.couriers.waybills import make_s10, s10_check_digit, validate_s10, validate_waybill


@pytest.mark.parametrize(
    ("serial", "check_digit"),
    [
        ("47312482", 9),  # the worked example of the S10 standard (sum 200, 11 - 2 = 9)
        ("12345678", 5),  # EE123456785GB, the example number printed in UPU S10
        ("00000000", 5),  # 11 - 0 = 11 is written as 5
        ("00300000", 0),  # 11 - 1 = 10 is written as 0
    ],
)
def test_s10_check_digit_follows_the_weights_8_6_4_2_3_5_9_7(serial, check_digit):
    assert s10_check_digit(serial) == check_digit


@pytest.mark.parametrize(
    "number",
    [
        "AA473124829GB",  # published example (Wikipedia, S10 article)
        "EE123456785GB",  # UPU S10 example
        "EE123456785CN",
        "RR123456785CN",
        "CP123456785CN",
        "EA000000005CN",
        "EA003000000CN",
    ],
)
def test_valid_s10_numbers_pass(number):
    assert validate_s10(number) == number


def test_s10_is_normalised_from_what_a_clerk_types():
    assert validate_waybill(courier="EMS", waybill=" ee 1234-5678-5 cn ") == "EE123456785CN"


@pytest.mark.parametrize(
    ("number", "code", "fragment"),
    [
        ("EE123456786CN", "s10_check_digit", "第11位应为 5，而不是 6"),
        ("AA473124820GB", "s10_check_digit", "第11位应为 9，而不是 0"),
        ("EE12345678CN", "s10_length", "您输入的是12位"),
        ("EE1234567856CN", "s10_length", "您输入的是14位"),
        ("1E123456785CN", "s10_format", "2个字母 + 9位数字 + 2个字母"),
        ("EE12345678XCN", "s10_format", "2个字母 + 9位数字 + 2个字母"),
        ("EE123456785AP", "s10_country", "「AP」不是有效的国家代码"),
    ],
)
def test_invalid_s10_numbers_say_what_is_wrong(number, code, fragment):
    with pytest.raises(ValidationError) as raised:
        validate_waybill(courier="EMS", waybill=number)
    assert raised.value.code == code
    assert fragment in raised.value.messages[0]


def test_make_s10_builds_numbers_that_validate():
    for serial in (0, 1, 47312482, 99999999):
        assert validate_s10(make_s10(service="EA", serial_number=serial))


@pytest.mark.parametrize(
    ("courier", "waybill"),
    [
        ("SF", "SF1234567890123"),
        ("SF", "sf 123456789012"),
        ("JD", "JDVA12345678901"),
        ("YTO", "YT1234567890123"),
        ("ZTO", "731234567890123"),
        ("STO", "773123456789"),
        ("YUNDA", "4312345678901"),
    ],
)
def test_other_couriers_get_a_format_check(courier, waybill):
    assert validate_waybill(courier=courier, waybill=waybill)


@pytest.mark.parametrize(
    ("courier", "waybill", "fragment"),
    [
        ("SF", "EE123456785CN", "顺丰速运运单号格式不正确：应为SF 加12至13位数字"),
        ("SF", "SF12345", "例如 SF1234567890123"),
        ("ZTO", "12345", "中通快递运单号格式不正确：应为12至15位数字"),
        ("YTO", "1234567890123", "YT 加13至15位数字"),
    ],
)
def test_other_couriers_wrong_format_is_named(courier, waybill, fragment):
    with pytest.raises(ValidationError) as raised:
        validate_waybill(courier=courier, waybill=waybill)
    assert fragment in raised.value.messages[0]


def test_unknown_courier_lists_the_choices():
    with pytest.raises(ValidationError) as raised:
        validate_waybill(courier="DHL", waybill="1234567890")
    assert raised.value.code == "courier_unknown"
    assert "「DHL」" in raised.value.messages[0] and "EMS" in raised.value.messages[0]


def test_empty_waybill_is_asked_for():
    with pytest.raises(ValidationError) as raised:
        validate_waybill(courier="EMS", waybill="  ")
    assert raised.value.messages == ["请填写运单号。"]


def test_factory_parcels_carry_valid_ems_numbers():
    from tests.factories import DeliveryFactory

    for _ in range(3):
        assert validate_s10(DeliveryFactory.build().waybill)
