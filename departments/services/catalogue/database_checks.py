"""Checking a catalogue file as a whole and against the database, before anything is written.

Duplicate keys within the file, references to rows that exist neither in the file
nor in the database, departments' credit codes and unique names, and finally each
row built as it will be saved and run through the model's own validation and check
constraints, so the write that follows cannot fail on anything the file says.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from departments.identifiers import normalise_identifier, validate_uscc
from departments.models import Department, MaterialRequirement

from .checking import Checker
from .parsing import Entry
from .schema import CONSTRAINT_MESSAGES, SECTIONS_BY_NAME, Column, Section

Existing = dict[str, dict[Any, Any]]


def check_duplicates(checker: Checker, entries: list[Entry]) -> None:
    first: dict[tuple[str, Any], Entry] = {}
    for entry in entries:
        if not entry.has_key:
            continue
        seen = first.setdefault((entry.section.name, entry.key), entry)
        if seen is not entry:
            field_name = entry.section.natural_key[-1]
            what = "code" if entry.section.natural_key == ("code",) else "consumer and registry"
            checker.error(
                entry.where,
                field_name,
                f"duplicate {what}: already defined at {seen.where}",
                (entry.section.name, entry.index, field_name),
            )
            entry.is_valid = False


def check_references(
    checker: Checker, existing: dict[str, dict[Any, Any]], file_codes: dict[str, set[str]]
) -> None:
    for reference in checker.references:
        if (
            reference.code in file_codes[reference.target]
            or reference.code in existing[reference.target]
        ):
            continue
        noun = SECTIONS_BY_NAME[reference.target].noun
        checker.error(
            reference.entry.where,
            reference.field,
            f'unknown {noun} "{reference.code}"',
            reference.path,
        )
        reference.entry.is_valid = False


def check_departments(checker: Checker, entries: list[Entry]) -> None:
    """Credit codes must be real ones; department names are unique."""
    departments = [entry for entry in entries if entry.section.name == "departments"]
    for entry in departments:
        _check_credit_code(checker, entry)
    _check_department_names(checker, departments)


def _check_credit_code(checker: Checker, entry: Entry) -> None:
    credit_code = entry.values.get("credit_code")
    if not credit_code:
        return
    path = ("departments", entry.index, "credit_code")
    try:
        validate_uscc(credit_code)
    except ValidationError as error:
        for message in error.messages:
            checker.error(entry.where, "credit_code", message, path)
        entry.is_valid = False
        return
    if credit_code != normalise_identifier(credit_code):
        checker.error(
            entry.where,
            "credit_code",
            f'write it as "{normalise_identifier(credit_code)}"',
            path,
        )
        entry.is_valid = False


def _check_department_names(checker: Checker, departments: list[Entry]) -> None:
    """Unique within the file, and not taken by another department already in the database."""
    named = {
        entry.values["name"]: entry for entry in reversed(departments) if "name" in entry.values
    }
    for entry in departments:
        name = entry.values.get("name")
        if name is not None and named[name] is not entry:
            checker.error(
                entry.where,
                "name",
                f'department name "{name}" is already used at {named[name].where}',
                ("departments", entry.index, "name"),
            )
            entry.is_valid = False
    codes = {entry.values["code"] for entry in departments if "code" in entry.values}
    taken = (
        Department.objects.filter(name__in=named)
        .exclude(code__in=codes)
        .values_list("name", "code")
    )
    for name, code in taken:
        entry = named[name]
        checker.error(
            entry.where,
            "name",
            f'department name "{name}" is already used by department "{code}" in the database',
            ("departments", entry.index, "name"),
        )
        entry.is_valid = False


def _differs(instance: Any, column: Column, value: Any) -> bool:
    assert column.attribute is not None
    current = getattr(instance, column.attribute)
    if column.kind == "ref":
        current = current.code if current is not None else None
    return bool(current != value)


def _current_children(entry: Entry) -> list[tuple[Any, ...]]:
    if entry.section.name == "items":
        return [
            (
                requirement.material_type.code,
                requirement.is_required,
                requirement.note,
                requirement.position,
            )
            for requirement in sorted(
                entry.instance.requirements.all(), key=lambda row: (row.position, row.pk)
            )
        ]
    return [
        (bundle_item.item.code, bundle_item.position)
        for bundle_item in entry.instance.bundle_items.all()
    ]


def _desired_children(entry: Entry) -> list[tuple[Any, ...]] | None:
    if entry.section.name == "items" and "materials" in entry.values:
        return [
            (row["material"], row["required"], row["note"], position)
            for position, row in enumerate(entry.values["materials"])
        ]
    if entry.section.name == "bundles" and "items" in entry.values:
        return [(code, position) for position, code in enumerate(entry.values["items"])]
    return None


def check_models(checker: Checker, entries: list[Entry], existing: Existing) -> None:
    """Build each row as it will be saved and run the model's own validation on it."""
    for entry in entries:
        if not entry.is_valid:
            continue
        _prepare_instance(entry, existing)
        problems = _model_problems(entry.section, entry.instance)
        for key, messages in _requirement_problems(entry).items():
            problems.setdefault(key, []).extend(messages)
        _report(checker, entry, problems)


def _prepare_instance(entry: Entry, existing: Existing) -> None:
    """The row the entry will save, with the file's values set, and what it changes."""
    section = entry.section
    instance = existing[section.name].get(entry.key)
    entry.is_new = instance is None
    if instance is None:
        instance = section.model()
    entry.instance = instance
    for column in section.columns:
        if column.key not in entry.values or column.attribute is None:
            continue
        value = entry.values[column.key]
        if not entry.is_new and _differs(instance, column, value):
            entry.changed_keys.add(column.key)
        if column.kind != "ref":  # references are resolved when written, in dependency order
            setattr(instance, column.attribute, value)
    desired = _desired_children(entry)
    if desired is not None and (entry.is_new or desired != _current_children(entry)):
        entry.are_children_changed = True


def _model_problems(section: Section, instance: models.Model) -> dict[str, list[str]]:
    """The model's field validation and check constraints, keyed by the file's key."""
    foreign_keys = [column.attribute for column in section.columns if column.kind == "ref"]
    keys_by_attribute = {
        column.attribute: column.key for column in section.columns if column.attribute
    }
    problems: dict[str, list[str]] = {}
    try:
        instance.full_clean(exclude=foreign_keys, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for attribute, messages in error.message_dict.items():
            problems.setdefault(keys_by_attribute.get(attribute, attribute), []).extend(messages)
    for constraint in section.model._meta.constraints:
        try:
            constraint.validate(section.model, instance, exclude=set(foreign_keys))
        except ValidationError as error:
            key, message = CONSTRAINT_MESSAGES.get(
                constraint.name, (NON_FIELD_ERRORS, " ".join(error.messages))
            )
            problems.setdefault(key, []).append(message)
    return problems


def _requirement_problems(entry: Entry) -> dict[str, list[str]]:
    """An item's materials, each validated as the requirement row it will become."""
    problems: dict[str, list[str]] = {}
    for index, row in enumerate(entry.values.get("materials") or []):
        requirement = MaterialRequirement(
            is_required=row["required"], note=row["note"], position=index
        )
        try:
            requirement.full_clean(
                exclude=["item", "material_type"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for attribute, messages in error.message_dict.items():
                key = "required" if attribute == "is_required" else attribute
                problems.setdefault(f"materials[{index}].{key}", []).extend(messages)
    return problems


def _report(checker: Checker, entry: Entry, problems: dict[str, list[str]]) -> None:
    """Each problem at the line of the key it is about (``materials[2].note``, say)."""
    for key, messages in problems.items():
        steps = key.replace("[", ".").replace("]", "").split(".")
        path = (
            entry.section.name,
            entry.index,
            *(int(step) if step.isdigit() else step for step in steps),
        )
        for message in messages:
            checker.error(entry.where, None if key == NON_FIELD_ERRORS else key, str(message), path)
        entry.is_valid = False
