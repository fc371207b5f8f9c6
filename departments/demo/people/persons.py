"""The persons: names (a few with rare characters), places of birth and of living, ID
numbers with valid check digits, phones, marital status and children, and the couples."""

from __future__ import annotations

import datetime as dt
import random

from departments.identifiers import make_resident_id

from .population import REFERENCE_DATE, Person, age_on, random_date
from .tables import (
    CHENGDU_DISTRICTS,
    ETHNICITIES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MOBILE_PREFIXES,
    OTHER_PROVINCE_REGIONS,
    RARE_NAMES,
    SICHUAN_REGIONS,
    SURNAME_WEIGHTS,
    SURNAMES,
)


def make_persons(rng: random.Random, count: int) -> list[Person]:
    rare = {position: (name, gender) for position, name, gender in RARE_NAMES}
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    persons = []
    for position in range(count):
        name, gender = rare.get(position, ("", rng.choice("男女")))
        if not name:
            name = _person_name(rng, gender)
        region, household_address = _birth_region(rng)
        birth_date = random_date(rng, dt.date(1950, 1, 1), dt.date(2006, 12, 31))
        resident_id = _resident_id(rng, region, birth_date, gender, used_ids)
        address = chengdu_address(rng)
        if region.startswith("5101") and rng.random() < 0.6:
            household_address = address  # most natives live where they are registered
        age = age_on(birth_date, REFERENCE_DATE)
        marital_status = _marital_status(rng, age)
        persons.append(
            Person(
                resident_id=resident_id,
                name=name,
                gender=gender,
                birth_date=birth_date,
                ethnicity="汉族" if rng.random() < 0.93 else rng.choice(ETHNICITIES),
                address=address,
                phone=_mobile_phone(rng, used_phones),
                household_address=household_address,
                marital_status=marital_status,
                children=_children(rng, age, marital_status),
            )
        )
    _pair_spouses(rng, persons)
    return persons


def _person_name(rng: random.Random, gender: str) -> str:
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    first_characters, last_characters = GIVEN_MALE if gender == "男" else GIVEN_FEMALE
    if rng.random() < 0.25:
        return surname + rng.choice(last_characters)
    first = rng.choice(first_characters)
    last = rng.choice(last_characters.replace(first, ""))
    return surname + first + last


def _birth_region(rng: random.Random) -> tuple[str, str]:
    """A region code for the ID number, and the household address that goes with it."""
    draw = rng.random()
    if draw < 0.75:
        code, district, streets = rng.choice(CHENGDU_DISTRICTS)
        return code, _street_address(rng, f"四川省成都市{district}", streets)
    regions = SICHUAN_REGIONS if draw < 0.87 else OTHER_PROVINCE_REGIONS
    code, place, streets = rng.choice(regions)
    return code, _street_address(rng, place, streets)


def _street_address(rng: random.Random, place: str, streets: tuple[str, ...]) -> str:
    return f"{place}{rng.choice(streets)}{rng.randint(1, 399)}号"


def chengdu_address(rng: random.Random) -> str:
    _, district, streets = rng.choice(CHENGDU_DISTRICTS)
    return (
        f"四川省成都市{district}{rng.choice(streets)}{rng.randint(1, 399)}号"
        f"{rng.randint(1, 12)}栋{rng.randint(1, 4)}单元{rng.randint(1, 32)}{rng.randint(1, 6):02d}号"
    )


def _resident_id(
    rng: random.Random, region: str, birth_date: dt.date, gender: str, used: set[str]
) -> str:
    while True:
        # GB 11643: the sequence is odd for men and even for women.
        sequence = rng.randrange(1 if gender == "男" else 2, 1000, 2)
        resident_id = make_resident_id(region=region, birth_date=birth_date, sequence=sequence)
        if resident_id not in used:
            used.add(resident_id)
            return resident_id


def _mobile_phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _marital_status(rng: random.Random, age: int) -> str:
    if age < 22:
        return "未婚"
    draw = rng.random()
    if age < 30:
        return "已婚" if draw < 0.5 else "未婚"
    if age >= 70 and draw < 0.25:
        return "丧偶"
    if draw < 0.08:
        return "离异"
    if draw < 0.14:
        return "未婚"
    return "已婚"


def _children(rng: random.Random, age: int, marital_status: str) -> int:
    if marital_status == "未婚" or age < 23:
        return 0
    return rng.choices((0, 1, 2, 3), weights=(15, 50, 28, 7))[0]


def _pair_spouses(rng: random.Random, persons: list[Person]) -> None:
    """Married men and women become couples of close age; couples share home and children.

    Whoever is left without a partner of a plausible age is recorded as divorced,
    so every ``已婚`` record points at a spouse who points back.
    """
    men = sorted(
        (p for p in persons if p.marital_status == "已婚" and p.gender == "男"),
        key=lambda p: p.birth_date,
    )
    women = sorted(
        (p for p in persons if p.marital_status == "已婚" and p.gender == "女"),
        key=lambda p: p.birth_date,
    )
    unmatched_women = list(women)
    for husband in men:
        partner = next(
            (
                wife
                for wife in unmatched_women
                if abs((wife.birth_date - husband.birth_date).days) <= 8 * 365
            ),
            None,
        )
        if partner is None:
            husband.marital_status = "离异"
            continue
        unmatched_women.remove(partner)
        husband.spouse_id, husband.spouse_name = partner.resident_id, partner.name
        partner.spouse_id, partner.spouse_name = husband.resident_id, husband.name
        partner.address = husband.address
        if rng.random() < 0.7:
            partner.household_address = husband.household_address
        partner.children = husband.children
    for wife in unmatched_women:
        wife.marital_status = "离异"
