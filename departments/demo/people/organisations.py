"""The organisations: companies of Chengdu's districts, each led by one of the adult
persons, with valid unified social credit codes."""

from __future__ import annotations

import datetime as dt
import random

from departments.identifiers import USCC_CHARSET, make_uscc

from .population import Organisation, Person, add_years, random_date
from .tables import (
    CHENGDU_DISTRICTS,
    COMPANY_FORMS,
    INDUSTRIES,
    MOBILE_PREFIXES,
    REGISTERED_CAPITALS,
    TRADE_NAMES,
    TRADE_SUFFIXES,
)


def make_organisations(rng: random.Random, count: int, persons: list[Person]) -> list[Organisation]:
    adults = [person for person in persons if person.age >= 25]
    # The first company is led by a person with a rare character in the name.
    rare_led = next((person for person in adults if "𠮷" in person.name), adults[0])
    used_codes: set[str] = set()
    used_names: set[str] = set()
    organisations = []
    for position in range(count):
        region, district, streets = rng.choice(CHENGDU_DISTRICTS)
        industry, business_scope = rng.choice(INDUSTRIES)
        name = _organisation_name(rng, district, industry, used_names)
        representative = rare_led if position == 0 else rng.choice(adults)
        earliest = max(dt.date(2003, 1, 1), add_years(representative.birth_date, 22))
        established_on = random_date(rng, earliest, dt.date(2026, 6, 30))
        organisations.append(
            Organisation(
                credit_code=_credit_code(rng, region, established_on, used_codes),
                name=name,
                legal_representative=representative.name,
                legal_representative_id=representative.resident_id,
                registered_address=(
                    f"四川省成都市{district}{rng.choice(streets)}{rng.randint(1, 399)}号"
                    f"{rng.randint(1, 20)}楼{rng.randint(1, 30)}号"
                ),
                phone=_organisation_phone(rng),
                established_on=established_on,
                business_scope=business_scope,
                status="存续" if rng.random() < 0.94 else "注销",
                registered_capital=rng.choice(REGISTERED_CAPITALS),
            )
        )
    return organisations


def _organisation_name(rng: random.Random, district: str, industry: str, used: set[str]) -> str:
    while True:
        trade_name = rng.choice(TRADE_NAMES)
        trade_name += rng.choice([suffix for suffix in TRADE_SUFFIXES if suffix not in trade_name])
        name = f"成都市{district}{trade_name}{industry}{rng.choice(COMPANY_FORMS)}"
        if name not in used:
            used.add(name)
            return name


def _credit_code(
    rng: random.Random, district_region: str, established_on: dt.date, used: set[str]
) -> str:
    region = district_region if rng.random() < 0.7 else "510100"
    while True:
        if established_on.year >= 2015:
            # Codes given since the reform start with "MA".
            organisation_code = "MA" + "".join(rng.choice(USCC_CHARSET) for _ in range(7))
        else:
            organisation_code = f"{rng.randrange(10**8):08d}" + rng.choice(USCC_CHARSET)
        code = make_uscc(
            authority="9", kind="1", region=region, organisation_code=organisation_code
        )
        if code not in used:
            used.add(code)
            return code


def _organisation_phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"028-{rng.choice('68')}{rng.randrange(10**7):07d}"
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
