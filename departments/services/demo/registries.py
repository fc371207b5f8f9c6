"""The demo registries' records: the synthetic persons and organisations, written only
where missing or different."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from departments.demo.people import REGISTRY_CODES, build_demo_population
from departments.models import Registry, RegistryRecord

from .base import CATALOGUE_PATH, DemoDataError


def registries_demo_load() -> dict[str, int]:
    registries = {
        registry.code: registry for registry in Registry.objects.filter(code__in=REGISTRY_CODES)
    }
    missing = [code for code in REGISTRY_CODES if code not in registries]
    if missing:
        raise DemoDataError(
            f"The demo catalogue {CATALOGUE_PATH.name} defines no registry {', '.join(missing)}: "
            "the synthetic people and companies have nowhere to go."
        )
    population = build_demo_population()
    existing = {
        (registry_id, subject_id): (pk, data)
        for pk, registry_id, subject_id, data in RegistryRecord.objects.filter(
            registry__in=registries.values()
        ).values_list("pk", "registry_id", "subject_id", "data")
    }
    now = timezone.now()
    to_create: list[RegistryRecord] = []
    to_update: list[RegistryRecord] = []
    unchanged = 0
    for code, records in population.records.items():
        registry = registries[code]
        for subject_id, data in records.items():
            stored = existing.get((registry.pk, subject_id))
            if stored is None:
                to_create.append(
                    RegistryRecord(registry=registry, subject_id=subject_id, data=data)
                )
            elif stored[1] != data:
                # bulk_update skips auto_now, so the time is set here.
                to_update.append(RegistryRecord(pk=stored[0], data=data, updated_at=now))
            else:
                unchanged += 1
    RegistryRecord.objects.bulk_create(to_create, batch_size=500)
    RegistryRecord.objects.bulk_update(to_update, ["data", "updated_at"], batch_size=500)

    per_registry = dict(
        RegistryRecord.objects.filter(registry__in=registries.values())
        .values_list("registry__code")
        .annotate(number=Count("pk"))
        .values_list("registry__code", "number")
    )
    counts = {f"registry_{code.lower()}": per_registry.get(code, 0) for code in REGISTRY_CODES}
    counts.update(
        records_created=len(to_create),
        records_updated=len(to_update),
        records_unchanged=unchanged,
        persons=len(population.persons),
        organisations=len(population.organisations),
    )
    return counts
