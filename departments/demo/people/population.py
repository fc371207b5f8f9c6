"""The demo population's shape: its seeds and reference date, the registries it fills,
the records of a person and of an organisation, and the date arithmetic every part uses."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

SEED = 20261122
# Ages, contribution months and "paid through" are counted from this day, not
# from today, so the data does not drift from one run to the next.
REFERENCE_DATE = dt.date(2026, 11, 1)

PERSON_COUNT = 1000
ORGANISATION_COUNT = 200
WORKING_AGE = range(18, 61)

POPULATION = "POPULATION"
LEGAL_PERSON = "LEGAL_PERSON"
SOCIAL_INSURANCE = "SOCIAL_INSURANCE"
TAX = "TAX"
REAL_ESTATE = "REAL_ESTATE"
# The registries the car-quota round reads besides the ones above (lottery/demo.py).
DRIVING_LICENCE = "DRIVING_LICENCE"
VEHICLE = "VEHICLE"
INCOME_TAX = "INCOME_TAX"
ORG_CODE = "ORG_CODE"
TAX_REGISTRATION = "TAX_REGISTRATION"
REGISTRY_CODES = (
    POPULATION,
    LEGAL_PERSON,
    SOCIAL_INSURANCE,
    TAX,
    REAL_ESTATE,
    DRIVING_LICENCE,
    VEHICLE,
    INCOME_TAX,
    ORG_CODE,
    TAX_REGISTRATION,
)
# The car-quota records come from a generator of their own, so adding them left every
# record made before them exactly as it was.
QUOTA_SEED = 20261202


@dataclass
class Person:
    resident_id: str
    name: str
    gender: str
    birth_date: dt.date
    ethnicity: str
    address: str
    phone: str
    household_address: str
    marital_status: str
    children: int
    spouse_id: str = ""
    spouse_name: str = ""
    # 户籍状态 (正常, 迁出, 注销) and the city of the household registration.
    status: str = "正常"
    hukou_city: str = ""

    @property
    def age(self) -> int:
        return age_on(self.birth_date, REFERENCE_DATE)

    def population_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "gender": self.gender,
            "birth_date": self.birth_date.isoformat(),
            "ethnicity": self.ethnicity,
            "address": self.address,
            "phone": self.phone,
            "household_address": self.household_address,
            "marital_status": self.marital_status,
            "spouse_id": self.spouse_id,
            "spouse_name": self.spouse_name,
            "children": self.children,
            "status": self.status,
            "hukou_city": self.hukou_city,
        }


@dataclass
class Organisation:
    credit_code: str
    name: str
    legal_representative: str
    legal_representative_id: str
    registered_address: str
    phone: str
    established_on: dt.date
    business_scope: str
    status: str
    registered_capital: str

    def legal_person_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "legal_representative": self.legal_representative,
            "legal_representative_id": self.legal_representative_id,
            "registered_address": self.registered_address,
            "phone": self.phone,
            "established_on": self.established_on.isoformat(),
            "business_scope": self.business_scope,
            "status": self.status,
            "registered_capital": self.registered_capital,
        }


@dataclass
class DemoPopulation:
    persons: list[Person]
    organisations: list[Organisation]
    # registry code → subject id → the record's data, in a stable order.
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def month_before(day: dt.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
