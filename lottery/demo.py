"""The demo round's rule set: Beijing's passenger-car quota (小客车指标摇号), as data.

Persons: a normal household registration, a valid driving licence (valid on or after the
round's close), no passenger car in their name (no vehicle record counts as none), and
either a Beijing household registration or five years of social insurance and of income
tax in the city. Organisations: registered and existing, a valid organisation code, a
normal tax registration. One extra ticket for every six earlier rounds entered without
winning (the stepped odds).

Loaded by ``manage.py load_demo`` and used by the tests; an operator edits the rule set in
the admin (or through its JSON) without code.
"""

from __future__ import annotations

from typing import Any

RULE_SET_CODE = "BJ-PASSENGER-CAR"
RULE_SET_NAME = "小客车指标摇号资格（个人、单位）"

PERSON_REGISTRIES = ("POPULATION", "DRIVING_LICENCE", "VEHICLE", "SOCIAL_INSURANCE", "INCOME_TAX")
ORGANISATION_REGISTRIES = ("LEGAL_PERSON", "ORG_CODE", "TAX_REGISTRATION")

RULES: dict[str, Any] = {
    "person": {
        "all": [
            {
                "rule": "POPULATION_STATUS",
                "registry": "POPULATION",
                "field": "status",
                "op": "equals",
                "value": "正常",
                "reason": "户籍状态不正常（须为“正常”）",
            },
            {
                "rule": "LICENCE_STATUS",
                "registry": "DRIVING_LICENCE",
                "field": "status",
                "op": "equals",
                "value": "正常",
                "reason": "机动车驾驶证状态不正常",
            },
            {
                "rule": "LICENCE_VALID",
                "registry": "DRIVING_LICENCE",
                "field": "valid_until",
                "op": "on_or_after_close",
                "reason": "机动车驾驶证在申请截止日前已过有效期",
            },
            {
                "rule": "NO_PASSENGER_CAR",
                "registry": "VEHICLE",
                "field": "passenger_cars",
                "op": "equals",
                "value": 0,
                "if_missing": 0,
                "reason": "名下已有登记的小客车",
            },
            {
                "any": [
                    {
                        "rule": "BEIJING_HUKOU",
                        "registry": "POPULATION",
                        "field": "hukou_city",
                        "op": "equals",
                        "value": "北京市",
                        "reason": "非本市户籍",
                    },
                    {
                        "all": [
                            {
                                "rule": "SOCIAL_INSURANCE_60",
                                "registry": "SOCIAL_INSURANCE",
                                "field": "consecutive_months",
                                "op": "gte",
                                "value": 60,
                                "reason": "在本市连续缴纳社会保险不满60个月",
                            },
                            {
                                "rule": "INCOME_TAX_60",
                                "registry": "INCOME_TAX",
                                "field": "consecutive_months",
                                "op": "gte",
                                "value": 60,
                                "reason": "在本市连续缴纳个人所得税不满60个月",
                            },
                        ]
                    },
                ],
                "rule": "RESIDENCE",
                "reason": "非本市户籍，且在本市连续缴纳社会保险和个人所得税不满60个月",
            },
        ]
    },
    "organisation": {
        "all": [
            {
                "rule": "LEGAL_PERSON_EXISTS",
                "registry": "LEGAL_PERSON",
                "field": "status",
                "op": "equals",
                "value": "存续",
                "reason": "单位登记状态不是“存续”",
            },
            {
                "rule": "ORG_CODE_VALID",
                "registry": "ORG_CODE",
                "field": "status",
                "op": "equals",
                "value": "有效",
                "reason": "组织机构代码证不在有效期内",
            },
            {
                "rule": "TAX_REGISTRATION_NORMAL",
                "registry": "TAX_REGISTRATION",
                "field": "status",
                "op": "equals",
                "value": "正常",
                "reason": "税务登记状态不正常",
            },
        ]
    },
}

WEIGHT: dict[str, Any] = {"base": 1, "extra_every_lost_rounds": 6}


def eligible_person_records() -> dict[str, dict[str, Any] | None]:
    """Registry code → the record of a person who passes every rule (``None``: no record)."""
    return {
        "POPULATION": {"status": "正常", "hukou_city": "北京市"},
        "DRIVING_LICENCE": {"status": "正常", "valid_until": "2032-06-30"},
        "VEHICLE": None,
        "SOCIAL_INSURANCE": {"consecutive_months": 12},
        "INCOME_TAX": {"consecutive_months": 12},
    }


def eligible_organisation_records() -> dict[str, dict[str, Any] | None]:
    return {
        "LEGAL_PERSON": {"status": "存续"},
        "ORG_CODE": {"status": "有效"},
        "TAX_REGISTRATION": {"status": "正常"},
    }
