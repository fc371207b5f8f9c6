"""The registry records of the one-window demo: population, legal persons, social
insurance, tax and real estate."""

from __future__ import annotations

import random
from typing import Any

from .persons import chengdu_address
from .population import (
    LEGAL_PERSON,
    POPULATION,
    REAL_ESTATE,
    REFERENCE_DATE,
    REGISTRY_CODES,
    SOCIAL_INSURANCE,
    TAX,
    WORKING_AGE,
    Organisation,
    Person,
    month_before,
)
from .tables import CREDIT_RATING_WEIGHTS, CREDIT_RATINGS


def make_records(
    rng: random.Random, persons: list[Person], organisations: list[Organisation]
) -> dict[str, dict[str, dict[str, Any]]]:
    records: dict[str, dict[str, dict[str, Any]]] = {code: {} for code in REGISTRY_CODES}
    for person in persons:
        records[POPULATION][person.resident_id] = person.population_data()
    for organisation in organisations:
        records[LEGAL_PERSON][organisation.credit_code] = organisation.legal_person_data()

    for person in persons:
        if person.age in WORKING_AGE:
            records[SOCIAL_INSURANCE][person.resident_id] = _person_social_insurance(rng, person)
    for organisation in organisations:
        records[SOCIAL_INSURANCE][organisation.credit_code] = _organisation_social_insurance(
            organisation
        )

    for organisation in organisations:
        records[TAX][organisation.credit_code] = _tax(rng)
    for person in persons:
        if rng.random() < 0.5:
            records[TAX][person.resident_id] = _tax(rng)

    used_title_numbers: set[str] = set()
    for person in persons:
        if rng.random() < 0.3:
            titles = [
                _title(rng, used_title_numbers) for _ in range(1 if rng.random() < 0.8 else 2)
            ]
            if rng.random() < 0.6:
                titles[0]["address"] = person.address  # most owners live in their own flat
            records[REAL_ESTATE][person.resident_id] = {"titles": titles}
    return records


def _person_social_insurance(rng: random.Random, person: Person) -> dict[str, Any]:
    possible_months = max(1, (person.age - 18) * 12)
    months_paid = rng.randint(max(1, possible_months // 4), possible_months)
    if rng.random() < 0.9:
        return {
            "status": "正常参保",
            "months_paid": months_paid,
            "paid_through": month_before(REFERENCE_DATE, 1),
        }
    return {
        "status": "暂停参保",
        "months_paid": months_paid,
        "paid_through": month_before(REFERENCE_DATE, rng.randint(2, 36)),
    }


def _organisation_social_insurance(organisation: Organisation) -> dict[str, Any]:
    months_open = (REFERENCE_DATE.year - organisation.established_on.year) * 12 + (
        REFERENCE_DATE.month - organisation.established_on.month
    )
    if organisation.status == "存续":
        return {
            "status": "正常参保",
            "months_paid": max(1, months_open),
            "paid_through": month_before(REFERENCE_DATE, 1),
        }
    # A deregistered company stopped paying a while ago.
    stopped_after = max(1, months_open // 2)
    return {
        "status": "暂停参保",
        "months_paid": stopped_after,
        "paid_through": month_before(REFERENCE_DATE, max(1, months_open - stopped_after)),
    }


def _tax(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.06:
        return {
            "arrears": True,
            "arrears_amount": f"{rng.randint(200, 80_000)}.{rng.randrange(100):02d}",
            "credit_rating": rng.choice(("C", "D")),
        }
    return {
        "arrears": False,
        "arrears_amount": "0.00",
        "credit_rating": rng.choices(CREDIT_RATINGS[:3], weights=CREDIT_RATING_WEIGHTS[:3])[0],
    }


def _title(rng: random.Random, used: set[str]) -> dict[str, Any]:
    while True:
        number = f"川({rng.randint(2016, 2026)})成都市不动产权第{rng.randrange(1, 10**7):07d}号"
        if number not in used:
            used.add(number)
            break
    use = rng.choices(("住宅", "商业服务", "车位"), weights=(85, 8, 7))[0]
    area = rng.uniform(12, 30) if use == "车位" else rng.uniform(38, 180)
    return {"number": number, "address": chengdu_address(rng), "area": f"{area:.2f}", "use": use}
