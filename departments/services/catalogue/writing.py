"""Writing a checked catalogue file: the rows it touches are loaded, then saved in order.

:func:`load_existing` fetches, before the checks, every row the file updates or
refers to, so the checks and the write share one set of instances and the whole
import costs a fixed number of queries per section. :func:`write_catalogue` runs
inside the caller's transaction and only after every check has passed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Value
from django.db.models.functions import Concat

from departments.models import (
    BundleItem,
    Department,
    MaterialRequirement,
    MaterialType,
    ServiceItem,
    SharingAgreement,
)

from .parsing import Entry, Reference
from .schema import (
    SECTION_NAMES,
    SECTIONS,
    Section,
    bundle_items_prefetch,
    requirements_prefetch,
)

Existing = dict[str, dict[Any, Any]]


def load_existing(entries: list[Entry], references: list[Reference]) -> Existing:
    """The rows the file updates or refers to, keyed by natural key, FKs already joined."""
    wanted = _wanted_codes(entries, references)
    existing: Existing = {
        section.name: {row.code: row for row in _coded_rows(section, wanted[section.name])}
        for section in SECTIONS
        if section.name != "sharing_agreements"
    }
    existing["sharing_agreements"] = _existing_agreements(entries)
    return existing


def _wanted_codes(entries: list[Entry], references: list[Reference]) -> dict[str, set[Any]]:
    wanted: dict[str, set[Any]] = {name: set() for name in SECTION_NAMES}
    for entry in entries:
        if entry.section.natural_key == ("code",) and "code" in entry.values:
            wanted[entry.section.name].add(entry.values["code"])
    for reference in references:
        wanted[reference.target].add(reference.code)
    return wanted


def _coded_rows(section: Section, codes: set[Any]) -> QuerySet[Any]:
    related = [column.attribute for column in section.columns if column.kind == "ref"]
    queryset = section.model.objects.filter(code__in=codes)
    if related:
        queryset = queryset.select_related(*related)
    if section.name == "items":
        queryset = queryset.prefetch_related(requirements_prefetch())
    elif section.name == "bundles":
        queryset = queryset.prefetch_related(bundle_items_prefetch())
    return queryset


def _existing_agreements(entries: list[Entry]) -> dict[tuple[str, str], SharingAgreement]:
    pairs = {
        entry.key
        for entry in entries
        if entry.section.name == "sharing_agreements" and entry.has_key
    }
    agreements = SharingAgreement.objects.select_related("consumer", "registry").filter(
        consumer__code__in={consumer for consumer, _ in pairs},
        registry__code__in={registry for _, registry in pairs},
    )
    return {
        (row.consumer.code, row.registry.code): row
        for row in agreements
        if (row.consumer.code, row.registry.code) in pairs
    }


def write_catalogue(entries: list[Entry], existing: Existing) -> dict[str, int]:
    """Save every entry; the counts of rows created, updated and unchanged per section."""
    counts = {
        f"{name}_{outcome}": 0
        for name in SECTION_NAMES
        for outcome in ("created", "updated", "unchanged")
    }
    resolved = {name: dict(rows) for name, rows in existing.items() if name != "sharing_agreements"}
    _free_department_names(entries)
    for section in SECTIONS:  # in dependency order: everything a row refers to is saved before it
        for entry in (entry for entry in entries if entry.section is section):
            _write_entry(entry, resolved)
            outcome = "created" if entry.is_new else "updated" if entry.is_changed else "unchanged"
            counts[f"{section.name}_{outcome}"] += 1
    return counts


def _free_department_names(entries: list[Entry]) -> None:
    """Department names are unique: renamed departments first take a placeholder, so
    two of them can swap names in one import."""
    Department.objects.filter(
        pk__in=[
            entry.instance.pk
            for entry in entries
            if entry.section.name == "departments" and "name" in entry.changed_keys
        ]
    ).update(name=Concat(Value("renaming "), "code"))


def _write_entry(entry: Entry, resolved: dict[str, dict[Any, Any]]) -> None:
    """One row, its references pointed at saved rows, then its child rows."""
    section, instance = entry.section, entry.instance
    for column in section.columns:
        if column.kind == "ref" and column.key in entry.values:
            code = entry.values[column.key]
            setattr(
                instance,
                column.attribute,
                resolved[column.target][code] if code is not None else None,
            )
    if entry.is_new or entry.is_changed:
        instance.save()
    if section.natural_key == ("code",):
        resolved[section.name][instance.code] = instance
    if not entry.are_children_changed:
        return
    if section.name == "items":
        write_requirements(instance, entry.values["materials"], resolved["material_types"])
    elif section.name == "bundles":
        instance.bundle_items.all().delete()
        BundleItem.objects.bulk_create(
            BundleItem(bundle=instance, item=resolved["items"][code], position=position)
            for position, code in enumerate(entry.values["items"])
        )


def write_requirements(
    item: ServiceItem, rows: list[dict[str, Any]], material_types: dict[str, MaterialType]
) -> None:
    """Make the item's requirements exactly the file's list, keeping rows that stay."""
    wanted = [(material_types[row["material"]], row) for row in rows]
    item.requirements.exclude(
        material_type__in=[material_type for material_type, _ in wanted]
    ).delete()
    current = {requirement.material_type_id: requirement for requirement in item.requirements.all()}
    for position, (material_type, row) in enumerate(wanted):
        requirement = current.get(material_type.pk) or MaterialRequirement(
            item=item, material_type=material_type
        )
        values = (row["required"], row["note"], position)
        if requirement.pk is None or values != (
            requirement.is_required,
            requirement.note,
            requirement.position,
        ):
            requirement.is_required, requirement.note, requirement.position = values
            requirement.save()
