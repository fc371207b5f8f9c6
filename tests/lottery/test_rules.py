"""Eligibility rules as data (issue 16.3): every operator, every demo rule with its reason,
missing records, combinations, and a rule set's problems found before it is saved."""

from __future__ import annotations

import datetime as dt

import pytest

from lottery import demo
from lottery.rules import compile_rules, rule_set_problems, ticket_weight

CLOSE = dt.date(2026, 12, 31)
NAMES = {"POPULATION": "人口基础信息库", "DRIVING_LICENCE": "机动车驾驶人信息库"}


def person_check(**changes):
    rules = compile_rules(demo.RULES["person"], close=CLOSE, registry_names=NAMES)
    facts = {**demo.eligible_person_records(), **changes}
    return rules.check(facts)


def organisation_check(**changes):
    rules = compile_rules(demo.RULES["organisation"], close=CLOSE, registry_names=NAMES)
    return rules.check({**demo.eligible_organisation_records(), **changes})


def failed(failures):
    return [(failure["rule"], failure["message"]) for failure in failures]


def test_the_demo_rule_set_is_valid_and_names_its_registries():
    assert rule_set_problems(rules=demo.RULES, weight=demo.WEIGHT) == []
    person = compile_rules(demo.RULES["person"], close=CLOSE, registry_names={})
    assert set(person.registries) == set(demo.PERSON_REGISTRIES)
    assert person.registries["DRIVING_LICENCE"] == ("status", "valid_until")
    organisation = compile_rules(demo.RULES["organisation"], close=CLOSE, registry_names={})
    assert set(organisation.registries) == set(demo.ORGANISATION_REGISTRIES)


def test_an_eligible_person_and_organisation_pass():
    assert person_check() == []
    assert organisation_check() == []


@pytest.mark.parametrize(
    ("changes", "rule", "reason"),
    [
        (
            {"POPULATION": {"status": "注销", "hukou_city": "北京市"}},
            "POPULATION_STATUS",
            "户籍状态不正常",
        ),
        (
            {"DRIVING_LICENCE": {"status": "吊销", "valid_until": "2030-01-01"}},
            "LICENCE_STATUS",
            "机动车驾驶证状态不正常",
        ),
        (
            {"DRIVING_LICENCE": {"status": "正常", "valid_until": "2026-12-30"}},
            "LICENCE_VALID",
            "机动车驾驶证在申请截止日前已过有效期",
        ),
        ({"VEHICLE": {"passenger_cars": 1}}, "NO_PASSENGER_CAR", "名下已有登记的小客车"),
    ],
)
def test_each_person_rule_fails_with_its_reason(changes, rule, reason):
    assert failed(person_check(**changes)) == [(rule, demo_reason(rule))]
    assert reason in demo_reason(rule)


def demo_reason(rule):
    def walk(node):
        if node.get("rule") == rule:
            return node["reason"]
        for child in node.get("all", []) + node.get("any", []):
            found = walk(child)
            if found:
                return found
        return None

    return walk(demo.RULES["person"]) or walk(demo.RULES["organisation"])


def test_a_licence_valid_exactly_until_the_close_passes_and_a_bad_date_fails():
    assert person_check(DRIVING_LICENCE={"status": "正常", "valid_until": "2026-12-31"}) == []
    assert failed(
        person_check(DRIVING_LICENCE={"status": "正常", "valid_until": "31/12/2030"})
    ) == [("LICENCE_VALID", demo_reason("LICENCE_VALID"))]


def test_no_vehicle_record_counts_as_no_car_but_no_licence_record_fails_saying_so():
    assert person_check(VEHICLE=None) == []
    failures = person_check(DRIVING_LICENCE=None)
    assert [failure["rule"] for failure in failures] == ["LICENCE_STATUS", "LICENCE_VALID"]
    assert failures[0]["message"] == "机动车驾驶人信息库中没有申请人的记录：机动车驾驶证状态不正常"
    assert {failure["registry"] for failure in failures} == {"DRIVING_LICENCE"}


def test_a_record_without_the_field_fails_saying_which_field():
    (failure,) = person_check(POPULATION={"hukou_city": "北京市"})
    assert failure["rule"] == "POPULATION_STATUS"
    assert failure["message"] == "人口基础信息库的记录中没有“status”：户籍状态不正常（须为“正常”）"


def test_residence_is_hukou_or_sixty_months_of_both_insurance_and_tax():
    outsider = {"status": "正常", "hukou_city": "成都市"}
    assert (
        person_check(
            POPULATION=outsider,
            SOCIAL_INSURANCE={"consecutive_months": 60},
            INCOME_TAX={"consecutive_months": 61},
        )
        == []
    )
    for insurance, tax in ((59, 60), (60, 59), (0, 0)):
        failures = person_check(
            POPULATION=outsider,
            SOCIAL_INSURANCE={"consecutive_months": insurance},
            INCOME_TAX={"consecutive_months": tax},
        )
        # The any-of node's own reason stands for its children's.
        assert failed(failures) == [("RESIDENCE", demo_reason("RESIDENCE"))]
        assert failures[0]["registry"] == "POPULATION,SOCIAL_INSURANCE,INCOME_TAX"
    # A Beijing hukou passes without either record.
    assert person_check(SOCIAL_INSURANCE=None, INCOME_TAX=None) == []


def test_every_failure_is_listed_not_only_the_first():
    failures = person_check(
        POPULATION={"status": "注销", "hukou_city": "成都市"},
        VEHICLE={"passenger_cars": 2},
    )
    assert [failure["rule"] for failure in failures] == [
        "POPULATION_STATUS",
        "NO_PASSENGER_CAR",
        "RESIDENCE",
    ]


@pytest.mark.parametrize(
    ("registry", "value", "rule"),
    [
        ("LEGAL_PERSON", {"status": "注销"}, "LEGAL_PERSON_EXISTS"),
        ("ORG_CODE", {"status": "过期"}, "ORG_CODE_VALID"),
        ("TAX_REGISTRATION", {"status": "非正常户"}, "TAX_REGISTRATION_NORMAL"),
        ("TAX_REGISTRATION", None, "TAX_REGISTRATION_NORMAL"),
    ],
)
def test_each_organisation_rule_fails_with_its_reason(registry, value, rule):
    (failure,) = organisation_check(**{registry: value})
    assert failure["rule"] == rule
    assert demo_reason(rule) in failure["message"]


def rule(op, **extra):
    return {"rule": "R", "registry": "X", "field": "f", "op": op, "reason": "不符合", **extra}


@pytest.mark.parametrize(
    ("node", "passing", "failing"),
    [
        (rule("equals", value="A"), ["A"], ["a", 1, None]),
        (rule("equals", value=0), [0, "0", 0.0], [1, "x"]),
        (rule("in", value=["A", "B"]), ["A", "B"], ["C"]),
        (rule("not_in", value=["A", "B"]), ["C", 3], ["A"]),
        (rule("gte", value=60), [60, "61", 60.5], [59, "x", None]),
        (rule("lte", value=2), [2, 0, "1"], [3, "three"]),
        (rule("on_or_after_close"), ["2026-12-31", "2027-01-01"], ["2026-12-30", "", 20270101]),
    ],
)
def test_each_operator(node, passing, failing):
    check = compile_rules(node, close=CLOSE, registry_names={}).check
    for value in passing:
        assert check({"X": {"f": value}}) == [], value
    for value in failing:
        assert check({"X": {"f": value}}) != [], value


def test_absent_passes_without_a_record_or_without_the_field_only():
    check = compile_rules(rule("absent"), close=CLOSE, registry_names={}).check
    assert check({"X": None}) == []
    assert check({"X": {"other": 1}}) == []
    assert check({"X": {"f": None}}) != []


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ([], "资格规则必须是按申请人类别"),
        ({"martian": rule("equals", value=1)}, "未知的申请人类别“martian”"),
        ({"person": rule("bigger", value=1)}, "未知的比较方式“bigger”"),
        ({"person": rule("gte", value="many")}, "gte 需要数字"),
        ({"person": rule("in", value="A")}, "in 需要值的列表"),
        (
            {"person": {"rule": "R", "registry": "X", "field": "f", "op": "equals"}},
            "equals 需要 value",
        ),
        ({"person": {"rule": "R", "field": "f", "op": "absent", "reason": "x"}}, "缺少 registry"),
        ({"person": {"all": []}}, "all 需要至少一条规则的列表"),
        ({"person": {"all": [rule("absent"), rule("absent")]}}, "规则代码“R”重复"),
        ({"person": rule("absent")}, None),
    ],
)
def test_a_rule_set_with_a_problem_is_refused_with_its_place(rules, problem):
    problems = rule_set_problems(rules=rules, weight={})
    if problem is None:
        assert problems == []
    else:
        assert any(problem in found for found in problems), problems


def test_unknown_registries_and_bad_weights_are_problems():
    problems = rule_set_problems(
        rules={"person": rule("absent")},
        weight={"base": 0, "bonus": 1},
        registry_codes={"POPULATION"},
    )
    assert any("没有代码为“X”的共享数据库" in found for found in problems)
    assert any("未知的项：bonus" in found for found in problems)
    assert any("base 必须是正整数" in found for found in problems)


@pytest.mark.parametrize(("lost", "tickets"), [(0, 1), (5, 1), (6, 2), (11, 2), (12, 3), (37, 7)])
def test_one_more_ticket_for_every_six_rounds_lost(lost, tickets):
    assert ticket_weight(weight_rule=demo.WEIGHT, rounds_lost=lost) == tickets
    assert ticket_weight(weight_rule={}, rounds_lost=lost) == 1
