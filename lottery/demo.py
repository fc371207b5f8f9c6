"""The demo round's rule set: Beijing's passenger-car quota (小客车指标摇号), as data.

Persons: a normal household registration, a valid driving licence (valid on or after the
round's close), no passenger car in their name (no vehicle record counts as none), and
either a Beijing household registration or five years of social insurance and of income
tax in the city. Organisations: registered and existing, a valid organisation code, a
normal tax registration. One extra ticket for every six earlier rounds entered without
winning (the stepped odds).

The rule set itself is data, ``lottery/demo_rule_set.json``, loaded by ``manage.py
load_demo`` and used by the tests; an operator edits the rule set in
the admin (or through its JSON) without code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RULE_SET_FILE = Path(__file__).with_name("demo_rule_set.json")
_RULE_SET = json.loads(RULE_SET_FILE.read_text(encoding="utf-8"))

RULE_SET_CODE: str = _RULE_SET["code"]
RULE_SET_NAME: str = _RULE_SET["name"]
RULES: dict[str, Any] = _RULE_SET["rules"]
WEIGHT: dict[str, Any] = _RULE_SET["weight"]

PERSON_REGISTRIES = ("POPULATION", "DRIVING_LICENCE", "VEHICLE", "SOCIAL_INSURANCE", "INCOME_TAX")
ORGANISATION_REGISTRIES = ("LEGAL_PERSON", "ORG_CODE", "TAX_REGISTRATION")


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
