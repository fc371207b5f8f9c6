"""Who applies in the demo cases: each story's pool of the synthetic population the demo
registries hold (``departments.demo.people``) — parents, singles, owners, the insured,
the flow population, companies in good standing — and the draw that gives every demo
case its applicant, the same for the same case number on every machine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from departments.demo import cases as stories
from departments.demo.people import (
    REAL_ESTATE,
    SOCIAL_INSURANCE,
    TAX,
    Organisation,
    Person,
    build_demo_population,
)

from .base import DemoCasesError, demo_story

# Who is in Chengdu's household register, and who came from elsewhere (the flow population).
CHENGDU = "四川省成都市"

Pool = list[Person | Organisation]
# Registry code -> subject's number -> the subject's record in that registry.
Records = dict[str, dict[str, dict[str, Any]]]


def demo_subjects(count: int) -> list[Person | Organisation]:
    """Who applies in each demo case: from the story's pool, someone with no other demo
    case while the pool lasts. Worked out from case 0 on every time, so a case's applicant
    depends only on its number."""
    pools = _pools()
    cursors: Counter[str] = Counter()
    used: set[str] = set()
    chosen = []
    for index in range(count):
        pool_name = demo_story(index).applicant
        pool = pools[pool_name]
        if not pool:
            raise DemoCasesError(f"Nobody in the demo population fits {pool_name!r}.")
        for step in range(len(pool)):
            candidate = pool[(cursors[pool_name] + step) % len(pool)]
            if subject_number(candidate) not in used:
                break
        else:  # everyone of the pool has a case: start again from the first
            step, candidate = 0, pool[cursors[pool_name] % len(pool)]
        cursors[pool_name] += step + 1
        used.add(subject_number(candidate))
        chosen.append(candidate)
    return chosen


def subject_number(subject: Person | Organisation) -> str:
    return subject.resident_id if isinstance(subject, Person) else subject.credit_code


def _has_rare_character(name: str) -> bool:
    """Outside the Basic Multilingual Plane (𠮷) or in CJK Extension A (䶮)."""
    return any(ord(char) > 0xFFFF or 0x3400 <= ord(char) <= 0x4DBF for char in name)


def _pools() -> dict[str, Pool]:
    """Each story's pool (``departments.demo.cases``), in the order it is drawn from."""
    population = build_demo_population()
    records = population.records
    insured = _insured(records)
    persons = _working_age(population.persons)
    married = [person for person in persons if person.marital_status == "已婚"]
    return {
        stories.PARENT: _parents(married),
        stories.ADULT: list(persons),
        stories.SINGLE: _singles(persons),
        stories.OWNER: _persons_among(persons, numbers=_owners(records)),
        stories.INSURED: _persons_among(persons, numbers=insured),
        stories.MIGRANT: _migrants(married),
        stories.COMPANY: _companies(
            population.organisations, insured=insured, in_arrears=_in_arrears(records)
        ),
    }


# --- what the registries say ---


def _insured(records: Records) -> set[str]:
    """The persons and organisations paying into social insurance."""
    return {
        subject
        for subject, data in records[SOCIAL_INSURANCE].items()
        if data["status"] == "正常参保"
    }


def _owners(records: Records) -> set[str]:
    return {subject for subject, data in records[REAL_ESTATE].items() if data.get("titles")}


def _in_arrears(records: Records) -> set[str]:
    return {subject for subject, data in records[TAX].items() if data.get("arrears")}


# --- the pools ---


def _working_age(persons: Iterable[Person]) -> list[Person]:
    """18 to 60 years old, names with rare characters first."""
    return sorted(
        (person for person in persons if 18 <= person.age <= 60),
        key=lambda person: (not _has_rare_character(person.name), person.resident_id),
    )


def _parents(married: list[Person]) -> Pool:
    """Married with one child, 45 or younger: a second-child registration."""
    return [person for person in married if person.children == 1 and person.age <= 45]


def _singles(persons: list[Person]) -> Pool:
    """Unmarried, of marrying age."""
    return [
        person for person in persons if person.marital_status == "未婚" and 22 <= person.age <= 40
    ]


def _persons_among(persons: list[Person], *, numbers: set[str]) -> Pool:
    return [person for person in persons if person.resident_id in numbers]


def _migrants(married: list[Person]) -> Pool:
    """Married, registered outside Chengdu: the flow population."""
    return [person for person in married if not person.household_address.startswith(CHENGDU)]


def _companies(
    organisations: Iterable[Organisation], *, insured: set[str], in_arrears: set[str]
) -> Pool:
    """In business, insured and without tax arrears, by credit code."""
    return sorted(
        (
            organisation
            for organisation in organisations
            if organisation.status == "存续"
            and organisation.credit_code in insured
            and organisation.credit_code not in in_arrears
        ),
        key=lambda organisation: organisation.credit_code,
    )
