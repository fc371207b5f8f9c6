"""The agreements the gateway asks about on every registry check: the plain statement of
``sharing.selectors.agreements_active`` against the queryset it stands for."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import Q
from django.utils import timezone

from departments.models import SharingAgreement
from sharing.selectors import agreements_active
from tests.factories import DepartmentFactory, RegistryFactory, SharingAgreementFactory

pytestmark = pytest.mark.django_db


def _by_queryset(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    today = timezone.localdate()
    rows = SharingAgreement.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        consumer_id__in={department for department, _ in pairs},
        registry_id__in={registry for _, registry in pairs},
        is_active=True,
        valid_from__lte=today,
    ).values_list("consumer_id", "registry_id")
    return set(rows) & pairs


def test_the_statement_answers_as_the_queryset_for_every_kind_of_agreement():
    today = timezone.localdate()
    departments = [DepartmentFactory(code=f"D{n}") for n in range(3)]
    registries = [RegistryFactory(code=f"R{n}") for n in range(3)]
    day = dt.timedelta(days=1)
    periods = [
        {},  # open-ended, since 2024
        {"valid_until": today},  # ends today: still covered
        {"valid_until": today - day},  # ended yesterday
        {"valid_from": today},  # starts today
        {"valid_from": today + day},  # starts tomorrow
        {"is_active": False},  # switched off
    ]
    pairs = list(itertools.product(departments, registries))
    for (department, registry), period in zip(pairs, itertools.cycle(periods)):
        SharingAgreementFactory(consumer=department, registry=registry, **period)
    every_pair = {(department.pk, registry.pk) for department, registry in pairs}
    expected = _by_queryset(every_pair)
    assert agreements_active(every_pair) == expected
    assert 0 < len(expected) < len(every_pair)  # both kinds are there
    for pair in every_pair:  # one pair at a time, as a single registry check asks
        assert agreements_active({pair}) == _by_queryset({pair})
    # A department and a registry each covered, but not together: not covered.
    (covered_department, covered_registry) = sorted(expected)[0]
    other = next(r.pk for r in registries if (covered_department, r.pk) not in expected)
    assert agreements_active({(covered_department, other)}) == set()
    assert agreements_active(set()) == set()
