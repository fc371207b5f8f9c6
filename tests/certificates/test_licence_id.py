import pytest

from certificates.licence_id import (
    LicenceIdError,
    licence_id_build,
    licence_id_parse,
    licence_type_code,
    mod37_36_check_character,
    mod37_36_is_valid,
)


@pytest.mark.parametrize(
    ("data", "check"),
    [
        # Global Release Identifier example (GRid uses ISO 7064 MOD 37,36).
        ("A12425GABC1234002", "M"),
        # ISAN root and root+episode+version check characters (ISAN uses MOD 37,36).
        ("00000000C36D002B", "K"),
        ("00000000C36D002B00000000", "E"),
        # A national platform's published licence identifier: type + issuer + serial + version.
        ("11100000000013338W01111430000006122244L20230000403001", "U"),
    ],
)
def test_mod37_36_check_character_matches_known_vectors(data, check):
    assert mod37_36_check_character(data) == check
    assert mod37_36_is_valid(data + check)


def test_mod37_36_detects_a_single_changed_character_and_a_swap():
    assert not mod37_36_is_valid("A12425GABC1234002N")
    assert not mod37_36_is_valid("A12425GABC1234020M")  # two neighbours swapped


def test_mod37_36_is_case_insensitive_and_rejects_other_symbols():
    assert mod37_36_check_character("a12425gabc1234002") == "M"
    with pytest.raises(LicenceIdError, match="第3个字符「-」"):
        mod37_36_check_character("A1-2")


def test_published_identifier_parses_with_its_check_character():
    parsed = licence_id_parse(
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
    )
    assert parsed.type_code == "11100000000013338W011"
    assert parsed.issuer_code == "11430000006122244L"
    assert parsed.serial == "20230000403"
    assert parsed.version == 1
    assert parsed.check_character == "U"


def test_build_formats_every_segment_and_round_trips():
    built = licence_id_build(
        type_code="FOODBUSINESSLICENCE",
        issuer_code="11510100MB00153032",
        serial="2026000001",
        version=2,
    )
    text = str(built)
    assert text.startswith("1.2.156.3005.2.FOODBUSINESSLICENCE.11510100MB00153032.2026000001.002.")
    assert licence_id_parse(text) == built


def test_versions_of_one_certificate_differ_only_in_version_and_check():
    first = licence_id_build(type_code="T1", issuer_code="ISSUER", serial="1", version=1)
    second = licence_id_build(type_code="T1", issuer_code="ISSUER", serial="1", version=2)
    assert str(first)[:-6] == str(second)[:-6]
    assert first.version == 1 and second.version == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2.16.156.1.T.I.1.001.X", "1.2.156.3005.2"),
        ("1.2.156.3005.2.T.I.1.001", "五段"),
        ("1.2.156.3005.2.T.I.1.01.X", "三位数字"),
        ("1.2.156.3005.2.T.i_x.1.001.X", "颁发机构代码"),
    ],
)
def test_malformed_identifiers_say_what_is_wrong(value, message):
    with pytest.raises(LicenceIdError, match=message):
        licence_id_parse(value)


def test_wrong_check_character_names_the_right_one():
    good = str(licence_id_build(type_code="T1", issuer_code="ISSUER", serial="7", version=1))
    wrong = "0" if good[-1] != "0" else "1"
    with pytest.raises(LicenceIdError, match=f"应为 {good[-1]}，而不是 {wrong}"):
        licence_id_parse(good[:-1] + wrong)


def test_version_out_of_range_is_refused():
    with pytest.raises(LicenceIdError, match="1 到 999"):
        licence_id_build(type_code="T", issuer_code="I", serial="1", version=1000)


def test_catalogue_type_codes_become_identifier_segments():
    assert licence_type_code("FOOD_BUSINESS_LICENCE") == "FOODBUSINESSLICENCE"
    assert licence_type_code("A-1.B") == "A1B"
