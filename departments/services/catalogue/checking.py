"""Checking a parsed catalogue file entry by entry: its shape, its keys and its values.

:class:`Checker` walks the sections, reports every problem at once (each message
naming the file, the entry, the field and the line) and collects the references
between entries, which :mod:`.database_checks` resolves once the whole file is read.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .parsing import Entry, Locator, NodePath, Reference, did_you_mean, type_name
from .schema import (
    FORM_FIELD_KEYS,
    MATERIAL_KEYS,
    SECTION_NAMES,
    SECTIONS_BY_NAME,
    Column,
    Section,
)
from .values import InvalidValue, clean_scalar


class Checker:
    """Reads and checks one catalogue file, collecting every problem."""

    def __init__(self, *, filename: str, locator: Locator) -> None:
        self.filename = filename
        self.locator = locator
        self._errors: list[tuple[int, str]] = []
        self.references: list[Reference] = []

    def error(
        self, where: str | None, field_name: str | None, problem: str, path: NodePath
    ) -> None:
        parts = [self.filename]
        if where:
            parts.append(where)
        if field_name:
            parts.append(f'field "{field_name}"')
        parts.append(problem)
        message = ": ".join(parts)
        line = self.locator.line(path)
        if line is not None:
            message += f" (line {line})"
        self._errors.append((line or 0, message))

    @property
    def errors(self) -> list[str]:
        """In the order of the file, so an entry's problems read together."""
        return [message for _line, message in sorted(self._errors, key=lambda error: error[0])]

    # -- the shape of the file --

    def sections(self, data: Any) -> list[Entry]:
        if data is None:
            self.error(None, None, "the file is empty; expected a mapping of sections", ())
            return []
        if not isinstance(data, dict):
            self.error(
                None,
                None,
                f"the top level must be a mapping of sections ({', '.join(SECTION_NAMES)}), got {type_name(data)}",
                (),
            )
            return []
        for duplicate in self.locator.duplicate_keys(()):
            self.error(
                None,
                None,
                f'section "{duplicate}" appears more than once; merge them',
                (duplicate,),
            )
        entries: list[Entry] = []
        for name, rows in data.items():
            section = SECTIONS_BY_NAME.get(name) if isinstance(name, str) else None
            if section is None:
                self.error(
                    None,
                    None,
                    f'unknown section "{name}"{did_you_mean(name, SECTION_NAMES)}; '
                    f"sections are: {', '.join(SECTION_NAMES)}",
                    (str(name),),
                )
                continue
            if rows is None:
                continue
            if not isinstance(rows, list):
                self.error(
                    name, None, f"expected a list of entries, got {type_name(rows)}", (name,)
                )
                continue
            for index, row in enumerate(rows):
                entries.append(self.entry(section, index, row))
        return entries

    def entry(self, section: Section, index: int, row: Any) -> Entry:
        path: NodePath = (section.name, index)
        where = f"{section.name}[{index}]"
        if isinstance(row, dict):
            named = [
                (key, row[key]) for key in section.natural_key if isinstance(row.get(key), str)
            ]
            if named:
                where += " (" + ", ".join(f'{key} "{value}"' for key, value in named) + ")"
        entry = Entry(section=section, index=index, where=where)
        if not isinstance(row, dict):
            self.error(
                where, None, f"expected a mapping (key: value pairs), got {type_name(row)}", path
            )
            entry.is_valid = False
            return entry
        entry.is_valid = self.mapping_keys(
            where, "", row, tuple(column.key for column in section.columns), path
        )
        for column in section.columns:
            if column.key not in row:
                if column.required:
                    self.error(where, column.key, "missing required key", path)
                    entry.is_valid = False
                continue
            ok, value = self.value(entry, column, row[column.key], path + (column.key,))
            if ok:
                entry.values[column.key] = value
            else:
                entry.is_valid = False
        return entry

    def mapping_keys(
        self,
        where: str,
        prefix: str,
        row: dict[Any, Any],
        allowed: tuple[str, ...],
        path: NodePath,
    ) -> bool:
        ok = True
        for duplicate in self.locator.duplicate_keys(path):
            self.error(
                where,
                prefix + duplicate,
                "key appears more than once in this entry",
                path + (duplicate,),
            )
            ok = False
        for key in row:
            if key not in allowed:
                self.error(
                    where,
                    f"{prefix}{key}",
                    f"unknown key{did_you_mean(key, allowed)}; allowed keys: {', '.join(allowed)}",
                    path + (str(key),),
                )
                ok = False
        return ok

    def value(self, entry: Entry, column: Column, value: Any, path: NodePath) -> tuple[bool, Any]:
        where, name = entry.where, column.key
        if value is None:
            if column.nullable:
                return True, None
            self.error(where, name, "must not be null", path)
            return False, None
        if column.kind == "materials":
            return self.materials(entry, value, path)
        if column.kind == "item_codes":
            return self.item_codes(entry, value, path)
        if column.kind == "form_fields":
            return self.form_fields(entry, value, path)
        ok, cleaned = self.scalar(where, name, column.kind, value, path, choices=column.choices)
        if ok and column.kind == "ref":
            assert column.target is not None
            self.references.append(Reference(entry, name, path, column.target, cleaned))
        return ok, cleaned

    def scalar(
        self,
        where: str,
        name: str,
        kind: str,
        value: Any,
        path: NodePath,
        *,
        choices: type[models.TextChoices] | None = None,
    ) -> tuple[bool, Any]:
        try:
            return True, clean_scalar(kind, value, choices=choices)
        except InvalidValue as problem:
            self.error(where, name, str(problem), path)
            return False, None

    def list_of(self, where: str, name: str, value: Any, path: NodePath) -> bool:
        if not isinstance(value, list):
            self.error(where, name, f"expected a list, got {type_name(value)}", path)
            return False
        return True

    def materials(self, entry: Entry, value: Any, path: NodePath) -> tuple[bool, Any]:
        where = entry.where
        if not self.list_of(where, "materials", value, path):
            return False, None
        ok, cleaned, seen = True, [], {}
        for index, row in enumerate(value):
            prefix, row_path = f"materials[{index}]", path + (index,)
            if not isinstance(row, dict):
                self.error(
                    where,
                    prefix,
                    f"expected a mapping (material, required, note), got {type_name(row)}",
                    row_path,
                )
                ok = False
                continue
            ok &= self.mapping_keys(where, prefix + ".", row, MATERIAL_KEYS, row_path)
            if "material" not in row:
                self.error(where, f"{prefix}.material", "missing required key", row_path)
                ok = False
                continue
            checks = [
                self.scalar(
                    where, f"{prefix}.material", "ref", row["material"], row_path + ("material",)
                ),
                self.scalar(
                    where,
                    f"{prefix}.required",
                    "bool",
                    row.get("required", True),
                    row_path + ("required",),
                ),
                self.scalar(
                    where, f"{prefix}.note", "str", row.get("note", ""), row_path + ("note",)
                ),
            ]
            if not all(check_ok for check_ok, _ in checks):
                ok = False
                continue
            (_, code), (_, is_required), (_, note) = checks
            if code in seen:
                self.error(
                    where,
                    f"{prefix}.material",
                    f'material "{code}" is already listed at materials[{seen[code]}]',
                    row_path + ("material",),
                )
                ok = False
                continue
            seen[code] = index
            self.references.append(
                Reference(
                    entry, f"{prefix}.material", row_path + ("material",), "material_types", code
                )
            )
            cleaned.append({"material": code, "required": is_required, "note": note})
        return ok, cleaned

    def item_codes(self, entry: Entry, value: Any, path: NodePath) -> tuple[bool, Any]:
        if not self.list_of(entry.where, "items", value, path):
            return False, None
        ok, cleaned, seen = True, [], {}
        for index, code in enumerate(value):
            name = f"items[{index}]"
            code_ok, code = self.scalar(entry.where, name, "ref", code, path + (index,))
            if not code_ok:
                ok = False
            elif code in seen:
                self.error(
                    entry.where,
                    name,
                    f'item "{code}" is already listed at items[{seen[code]}]',
                    path + (index,),
                )
                ok = False
            else:
                seen[code] = index
                self.references.append(Reference(entry, name, path + (index,), "items", code))
                cleaned.append(code)
        return ok, cleaned

    def form_fields(self, entry: Entry, value: Any, path: NodePath) -> tuple[bool, Any]:
        where = entry.where
        if not self.list_of(where, "form_fields", value, path):
            return False, None
        ok, cleaned, seen = True, [], {}
        for index, row in enumerate(value):
            prefix, row_path = f"form_fields[{index}]", path + (index,)
            if not isinstance(row, dict):
                self.error(
                    where,
                    prefix,
                    f"expected a mapping (name, label, prefill), got {type_name(row)}",
                    row_path,
                )
                ok = False
                continue
            row_ok = self.mapping_keys(where, prefix + ".", row, FORM_FIELD_KEYS, row_path)
            for key in ("name", "label"):
                if key not in row:
                    self.error(where, f"{prefix}.{key}", "missing required key", row_path)
                    row_ok = False
            if not row_ok:
                ok = False
                continue
            name_ok, name = self.scalar(
                where, f"{prefix}.name", "str", row["name"], row_path + ("name",)
            )
            label_ok, label = self.scalar(
                where, f"{prefix}.label", "str", row["label"], row_path + ("label",)
            )
            prefill, prefill_ok = row.get("prefill"), True
            if prefill is not None:
                prefill_ok, prefill = self.prefill(
                    entry, f"{prefix}.prefill", prefill, row_path + ("prefill",)
                )
            if not (name_ok and label_ok and prefill_ok):
                ok = False
                continue
            if name in seen:
                self.error(
                    where,
                    f"{prefix}.name",
                    f'field name "{name}" is already used at form_fields[{seen[name]}]',
                    row_path + ("name",),
                )
                ok = False
                continue
            seen[name] = index
            cleaned.append({"name": name, "label": label, "prefill": prefill})
        return ok, cleaned

    def prefill(self, entry: Entry, name: str, value: Any, path: NodePath) -> tuple[bool, Any]:
        ok, value = self.scalar(entry.where, name, "str", value, path)
        if not ok:
            return False, None
        registry, _dot, data_key = value.partition(".")
        if not registry or not data_key:
            self.error(
                entry.where,
                name,
                f'expected "<REGISTRY_CODE>.<data key>" or null, got "{value}"',
                path,
            )
            return False, None
        self.references.append(Reference(entry, name, path, "registries", registry))
        return True, value
