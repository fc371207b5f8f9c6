"""Synthetic people and organisations for the demo registries.

Everything comes from one seeded ``random.Random`` and a fixed reference date,
so every run — today or next year, on any machine — builds exactly the same
records, and ``load_demo`` can compare them with what is already stored.

No real person is described: names are drawn from common surnames and given-name
characters, numbers are made with the real check-digit rules so every validator
accepts them. A few names carry rare characters (𠮷 and 𡒄 outside the Basic
Multilingual Plane, 䶮 in CJK Extension A) so the pages and the PDFs are seen to
keep them whole.

One module per part: ``population`` (the shape and the seeds), ``tables`` (what names,
places and trades are drawn from), ``persons``, ``organisations``, ``records`` and
``quota`` (the car-quota round's registries, drawn from a generator of their own).
"""

from __future__ import annotations

import random

from .organisations import make_organisations
from .persons import make_persons
from .population import (
    DRIVING_LICENCE,
    INCOME_TAX,
    LEGAL_PERSON,
    ORG_CODE,
    ORGANISATION_COUNT,
    PERSON_COUNT,
    POPULATION,
    QUOTA_SEED,
    REAL_ESTATE,
    REFERENCE_DATE,
    REGISTRY_CODES,
    SEED,
    SOCIAL_INSURANCE,
    TAX,
    TAX_REGISTRATION,
    VEHICLE,
    WORKING_AGE,
    DemoPopulation,
    Organisation,
    Person,
    age_on,
)
from .quota import household_status_add, make_quota_records
from .records import make_records

__all__ = [
    "DRIVING_LICENCE",
    "INCOME_TAX",
    "LEGAL_PERSON",
    "ORGANISATION_COUNT",
    "ORG_CODE",
    "PERSON_COUNT",
    "POPULATION",
    "QUOTA_SEED",
    "REAL_ESTATE",
    "REFERENCE_DATE",
    "REGISTRY_CODES",
    "SEED",
    "SOCIAL_INSURANCE",
    "TAX",
    "TAX_REGISTRATION",
    "VEHICLE",
    "WORKING_AGE",
    "DemoPopulation",
    "Organisation",
    "Person",
    "age_on",
    "build_demo_population",
]


def build_demo_population(
    *, person_count: int = PERSON_COUNT, organisation_count: int = ORGANISATION_COUNT
) -> DemoPopulation:
    """The same persons, organisations and registry records on every call."""
    rng = random.Random(SEED)
    quota_rng = random.Random(QUOTA_SEED)
    persons = make_persons(rng, person_count)
    organisations = make_organisations(rng, organisation_count, persons)
    household_status_add(quota_rng, persons)
    population = DemoPopulation(persons=persons, organisations=organisations)
    population.records = make_records(rng, persons, organisations)
    make_quota_records(quota_rng, persons, organisations, population.records)
    return population
