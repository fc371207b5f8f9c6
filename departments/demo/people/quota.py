"""What the car-quota round reads: the household register's status and city, driving
licences, vehicles, income tax, organisation codes, tax registrations and the consecutive
months of social insurance."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

from .population import (
    DRIVING_LICENCE,
    INCOME_TAX,
    LEGAL_PERSON,
    ORG_CODE,
    REFERENCE_DATE,
    SOCIAL_INSURANCE,
    TAX_REGISTRATION,
    VEHICLE,
    Organisation,
    Person,
    add_years,
    month_before,
    random_date,
)

HOUSEHOLD_CITY = re.compile(r"^(?:[^省]+省)?(.+?(?:市|自治州))")
LICENCE_CLASSES = ("C1", "C2", "B2", "A2", "A1")
LICENCE_CLASS_WEIGHTS = (80, 12, 4, 2, 2)
LICENCE_STATUSES = ("正常", "超分", "暂扣", "注销", "吊销")
LICENCE_STATUS_WEIGHTS = (93, 2, 2, 1.5, 1.5)


def household_status_add(rng: random.Random, persons: list[Person]) -> None:
    """The household register's status and city: almost everyone 正常, a few moved out
    (迁出) or deregistered (注销); the city is the one of the household address."""
    for person in persons:
        match = HOUSEHOLD_CITY.match(person.household_address)
        person.hukou_city = match.group(1) if match else ""
        draw = rng.random()
        person.status = "注销" if draw < 0.005 else "迁出" if draw < 0.02 else "正常"


def make_quota_records(
    rng: random.Random,
    persons: list[Person],
    organisations: list[Organisation],
    records: dict[str, dict[str, dict[str, Any]]],
) -> None:
    """Driving licences, vehicles, income tax, organisation codes and tax registrations,
    and the consecutive months of social insurance: a realistic share of people who
    could apply for a car quota and of reasons they could not."""
    for subject_id, insurance in records[SOCIAL_INSURANCE].items():
        if insurance["status"] != "正常参保":
            insurance["consecutive_months"] = 0
        elif subject_id in records[LEGAL_PERSON] or rng.random() < 0.6:
            insurance["consecutive_months"] = insurance["months_paid"]
        else:
            insurance["consecutive_months"] = rng.randint(1, insurance["months_paid"])

    for person in persons:
        licence = _driving_licence(rng, person)
        if licence is not None:
            records[DRIVING_LICENCE][person.resident_id] = licence
        vehicle = _vehicle(rng, has_licence=licence is not None)
        if vehicle is not None:
            records[VEHICLE][person.resident_id] = vehicle
        income_tax = _income_tax(rng, records[SOCIAL_INSURANCE].get(person.resident_id))
        if income_tax is not None:
            records[INCOME_TAX][person.resident_id] = income_tax

    for organisation in organisations:
        exists = organisation.status == "存续"
        records[ORG_CODE][organisation.credit_code] = {
            "organisation_code": organisation.credit_code[8:17],
            "status": ("有效" if rng.random() < 0.95 else "过期") if exists else "注销",
        }
        records[TAX_REGISTRATION][organisation.credit_code] = {
            "status": ("正常" if rng.random() < 0.94 else "非正常") if exists else "注销",
            "registered_on": (
                organisation.established_on + dt.timedelta(days=rng.randint(5, 60))
            ).isoformat(),
        }


def _driving_licence(rng: random.Random, person: Person) -> dict[str, Any] | None:
    age = person.age
    holds = 0.35 if age < 23 else 0.75 if age <= 60 else 0.45
    if rng.random() >= holds:
        return None
    earliest = max(dt.date(1995, 1, 1), add_years(person.birth_date, 18))
    first_issued = random_date(rng, earliest, dt.date(2026, 6, 30))
    # Six years for a first licence, ten for each renewal; a few were never renewed.
    valid_until = add_years(first_issued, 6)
    while valid_until < REFERENCE_DATE and rng.random() < 0.95:
        valid_until = add_years(valid_until, 10)
    return {
        "licence_no": person.resident_id,
        "class": rng.choices(LICENCE_CLASSES, weights=LICENCE_CLASS_WEIGHTS)[0],
        "first_issued": first_issued.isoformat(),
        "valid_until": valid_until.isoformat(),
        "status": rng.choices(LICENCE_STATUSES, weights=LICENCE_STATUS_WEIGHTS)[0],
    }


def _vehicle(rng: random.Random, *, has_licence: bool) -> dict[str, Any] | None:
    """Who has a car registered (and who only a motorcycle): no record means none."""
    draw = rng.random()
    if has_licence and draw < 0.35:
        return {"passenger_cars": 1 if rng.random() < 0.9 else 2, "other_vehicles": 0}
    if has_licence and draw < 0.43:
        return {"passenger_cars": 0, "other_vehicles": 1}
    if not has_licence and draw < 0.03:
        return {"passenger_cars": 1, "other_vehicles": 0}
    return None


def _income_tax(rng: random.Random, insurance: dict[str, Any] | None) -> dict[str, Any] | None:
    """Income tax paid in the city, mostly alongside the social insurance."""
    if insurance is not None and insurance["status"] == "正常参保":
        if rng.random() >= 0.85:
            return None
        months = insurance["consecutive_months"]
        if rng.random() >= 0.7:
            months = max(0, months - rng.randint(1, 36))
        return {"consecutive_months": months, "paid_through": month_before(REFERENCE_DATE, 1)}
    if rng.random() < (0.3 if insurance is not None else 0.05):
        return {
            "consecutive_months": 0,
            "paid_through": month_before(REFERENCE_DATE, rng.randint(2, 24)),
        }
    return None
