"""The catalogue as data: the whole catalogue in one YAML file, in and out.

Operators keep departments, registries, certificate and material types, items,
bundles and sharing agreements in a YAML file under version control and load it
with ``manage.py import_catalogue FILE``; ``manage.py export_catalogue`` writes the
database back out in the same format.

The import is all or nothing. The whole file is checked first and *every* problem
is reported at once, each message naming the file, the entry and the field, for
example ``catalogue.yaml: items[3] (code "A003"): field "department": unknown
department "ZZ" (line 57)``. Only a file without a single problem is written, in
one transaction; otherwise the database stays exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models import Prefetch, Value
from django.db.models.functions import Concat

from centres.constants import CentreLevel
from departments.constants import (
    Audience,
    CertificateFormats,
    ConnectorKind,
    DepartmentLevel,
    ItemKind,
    LifeEvent,
    RegistryKind,
)
from departments.identifiers import normalise_identifier, validate_uscc
from departments.models import (
    Bundle,
    BundleItem,
    CertificateType,
    Department,
    MaterialRequirement,
    MaterialType,
    Registry,
    ServiceItem,
    SharingAgreement,
)


class CatalogueError(Exception):
    """The file was not imported; ``messages`` lists every problem found in it."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


# --- the format --------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    key: str  # the key in the file
    kind: str  # str, int, bool, date, decimal, choice, ref, form_fields, materials, item_codes
    attribute: str | None = None  # the model attribute, when the key is one
    required: bool = False
    nullable: bool = False
    choices: type[models.TextChoices] | None = None
    target: str | None = None  # the section a reference points into


@dataclass(frozen=True)
class _Section:
    name: str
    noun: str  # what one entry is, for messages: "unknown department "ZZ""
    model: type[models.Model]
    columns: tuple[_Column, ...]
    natural_key: tuple[str, ...] = ("code",)


def _plain(key: str, kind: str = "str", **options: Any) -> _Column:
    return _Column(key, kind, attribute=key, **options)


def _ref(key: str, target: str, **options: Any) -> _Column:
    return _Column(key, "ref", attribute=key, target=target, **options)


def _choice(key: str, choices: type[models.TextChoices], **options: Any) -> _Column:
    return _Column(key, "choice", attribute=key, choices=choices, **options)


_CODE = _plain("code", required=True)
_NAME = _plain("name", required=True)

SECTIONS: tuple[_Section, ...] = (
    _Section(
        "departments",
        "department",
        Department,
        (_CODE, _NAME, _choice("level", DepartmentLevel), _plain("credit_code")),
    ),
    _Section(
        "registries",
        "registry",
        Registry,
        (
            _CODE,
            _NAME,
            _ref("department", "departments", required=True),
            _choice("kind", RegistryKind, required=True),
            _choice("connector", ConnectorKind),
            _plain("endpoint_url"),
            _plain("description"),
        ),
    ),
    _Section(
        "certificate_types",
        "certificate type",
        CertificateType,
        (
            _CODE,
            _NAME,
            _ref("issuing_department", "departments", required=True),
            _plain("validity_days", "int", nullable=True),
            _choice("formats", CertificateFormats),
        ),
    ),
    _Section(
        "material_types",
        "material type",
        MaterialType,
        (
            _CODE,
            _NAME,
            _plain("description"),
            _ref("satisfied_by", "certificate_types", nullable=True),
            _ref("verifiable_by", "registries", nullable=True),
            _plain("reuse_validity_days", "int", nullable=True),
        ),
    ),
    _Section(
        "items",
        "item",
        ServiceItem,
        (
            _CODE,
            _NAME,
            _ref("department", "departments", required=True),
            _choice("kind", ItemKind),
            _choice("audience", Audience),
            _plain("legal_basis"),
            _plain("promised_working_days", "int", required=True),
            _plain("fee", "decimal"),
            _choice("lowest_level", CentreLevel),
            _plain("requires_presence", "bool"),
            _plain("auto_decide", "bool"),
            _ref("produces", "certificate_types", nullable=True),
            _plain("form_fields", "form_fields"),
            _Column("materials", "materials"),
        ),
    ),
    _Section(
        "bundles",
        "bundle",
        Bundle,
        (
            _CODE,
            _NAME,
            _plain("description"),
            _choice("audience", Audience),
            _choice("life_event", LifeEvent),
            _Column("all_or_nothing", "bool", attribute="is_all_or_nothing"),
            _Column("items", "item_codes"),
        ),
    ),
    _Section(
        "sharing_agreements",
        "sharing agreement",
        SharingAgreement,
        (
            _ref("consumer", "departments", required=True),
            _ref("registry", "registries", required=True),
            _plain("purpose", required=True),
            _plain("valid_from", "date", required=True),
            _plain("valid_until", "date", nullable=True),
            _plain("is_active", "bool"),
        ),
        natural_key=("consumer", "registry"),
    ),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)
_SECTIONS_BY_NAME = {section.name: section for section in SECTIONS}

_MATERIAL_KEYS = ("material", "required", "note")


def _requirements() -> Prefetch:
    return Prefetch("requirements", MaterialRequirement.objects.select_related("material_type"))


def _bundle_items() -> Prefetch:
    return Prefetch("bundle_items", BundleItem.objects.select_related("item"))


_FORM_FIELD_KEYS = ("name", "label", "prefill")

# Check constraints of the catalogue models, said in the operator's terms.
_CONSTRAINT_MESSAGES = {
    "registry_http_needs_endpoint": ("endpoint_url", "an http connector needs an endpoint_url"),
    "item_auto_decide_not_in_person": (
        "auto_decide",
        "must be false when requires_presence is true: an item that needs the applicant "
        "in person cannot be decided automatically",
    ),
    "sharing_valid_range": ("valid_until", "must not be before valid_from"),
}


# --- reading the file ----------------------------------------------------------

_NodePath = tuple[str | int, ...]


class _Locator:
    """Line numbers and duplicate keys, from the YAML node tree (``safe_load`` forgets both)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def node(self, path: _NodePath) -> yaml.Node | None:
        node = self.root
        for step in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:  # the last one wins, as in safe_load
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == step:
                        child = value_node
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(step, int)
                and 0 <= step < len(node.value)
            ):
                child = node.value[step]
            if child is None:
                break
            node = child
        return node

    def line(self, path: _NodePath) -> int | None:
        node = self.node(path)
        return node.start_mark.line + 1 if node is not None else None

    def duplicate_keys(self, path: _NodePath) -> list[str]:
        node = self.node(path)
        if not isinstance(node, yaml.MappingNode):
            return []
        seen: set[str] = set()
        duplicates: list[str] = []
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen and key_node.value not in duplicates:
                    duplicates.append(key_node.value)
                seen.add(key_node.value)
        return duplicates


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'a string ("{value}")'
    if isinstance(value, dt.datetime):
        return f"a date and time ({value.isoformat()})"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _did_you_mean(word: Any, candidates: tuple[str, ...]) -> str:
    matches = difflib.get_close_matches(str(word), candidates, n=1)
    return f' (did you mean "{matches[0]}"?)' if matches else ""


@dataclass
class _Entry:
    section: _Section
    index: int
    where: str  # items[3] (code "A003")
    values: dict[str, Any] = field(default_factory=dict)  # cleaned, only the keys the file has
    is_valid: bool = True
    instance: Any = None
    is_new: bool = False
    changed_keys: set[str] = field(default_factory=set)  # of an existing row
    are_children_changed: bool = False  # an item's requirements, a bundle's items

    @property
    def is_changed(self) -> bool:
        return not self.is_new and bool(self.changed_keys or self.are_children_changed)

    @property
    def key(self) -> Any:
        """The natural key: the code, or (consumer, registry) for a sharing agreement."""
        values = tuple(self.values.get(name) for name in self.section.natural_key)
        return values[0] if len(values) == 1 else values

    @property
    def has_key(self) -> bool:
        return all(self.values.get(name) is not None for name in self.section.natural_key)


@dataclass
class _Reference:
    entry: _Entry
    field: str
    path: _NodePath
    target: str
    code: str


class _Checker:
    """Reads and checks one catalogue file, collecting every problem."""

    def __init__(self, *, filename: str, locator: _Locator) -> None:
        self.filename = filename
        self.locator = locator
        self._errors: list[tuple[int, str]] = []
        self.references: list[_Reference] = []

    def error(
        self, where: str | None, field_name: str | None, problem: str, path: _NodePath
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

    def sections(self, data: Any) -> list[_Entry]:
        if data is None:
            self.error(None, None, "the file is empty; expected a mapping of sections", ())
            return []
        if not isinstance(data, dict):
            self.error(
                None,
                None,
                f"the top level must be a mapping of sections ({', '.join(SECTION_NAMES)}), got {_type_name(data)}",
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
        entries: list[_Entry] = []
        for name, rows in data.items():
            section = _SECTIONS_BY_NAME.get(name) if isinstance(name, str) else None
            if section is None:
                self.error(
                    None,
                    None,
                    f'unknown section "{name}"{_did_you_mean(name, SECTION_NAMES)}; '
                    f"sections are: {', '.join(SECTION_NAMES)}",
                    (str(name),),
                )
                continue
            if rows is None:
                continue
            if not isinstance(rows, list):
                self.error(
                    name, None, f"expected a list of entries, got {_type_name(rows)}", (name,)
                )
                continue
            for index, row in enumerate(rows):
                entries.append(self.entry(section, index, row))
        return entries

    def entry(self, section: _Section, index: int, row: Any) -> _Entry:
        path: _NodePath = (section.name, index)
        where = f"{section.name}[{index}]"
        if isinstance(row, dict):
            named = [
                (key, row[key]) for key in section.natural_key if isinstance(row.get(key), str)
            ]
            if named:
                where += " (" + ", ".join(f'{key} "{value}"' for key, value in named) + ")"
        entry = _Entry(section=section, index=index, where=where)
        if not isinstance(row, dict):
            self.error(
                where, None, f"expected a mapping (key: value pairs), got {_type_name(row)}", path
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
        path: _NodePath,
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
                    f"unknown key{_did_you_mean(key, allowed)}; allowed keys: {', '.join(allowed)}",
                    path + (str(key),),
                )
                ok = False
        return ok

    def value(
        self, entry: _Entry, column: _Column, value: Any, path: _NodePath
    ) -> tuple[bool, Any]:
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
            self.references.append(_Reference(entry, name, path, column.target, cleaned))
        return ok, cleaned

    def scalar(
        self,
        where: str,
        name: str,
        kind: str,
        value: Any,
        path: _NodePath,
        *,
        choices: type[models.TextChoices] | None = None,
    ) -> tuple[bool, Any]:
        if kind in ("str", "ref", "choice"):
            if not isinstance(value, str):
                hint = (
                    "; YAML reads unquoted yes/no/on/off/true/false as booleans, so quote it"
                    if isinstance(value, bool)
                    else ""
                )
                self.error(where, name, f"expected a string, got {_type_name(value)}{hint}", path)
                return False, None
            if kind == "choice" and choices is not None and value not in choices.values:
                self.error(
                    where,
                    name,
                    f'invalid value "{value}"{_did_you_mean(value, tuple(choices.values))}; '
                    f"expected one of: {', '.join(choices.values)}",
                    path,
                )
                return False, None
            return True, value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.error(where, name, f"expected an integer, got {_type_name(value)}", path)
                return False, None
            return True, value
        if kind == "bool":
            if not isinstance(value, bool):
                self.error(where, name, f"expected true or false, got {_type_name(value)}", path)
                return False, None
            return True, value
        if kind == "decimal":
            amount = None
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                try:
                    amount = Decimal(str(value).strip())
                except InvalidOperation:
                    amount = None
            if amount is None or not amount.is_finite():
                self.error(
                    where,
                    name,
                    f'expected an amount such as "12.50", got {_type_name(value)}',
                    path,
                )
                return False, None
            return True, amount
        if kind == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return True, value
            if isinstance(value, str):
                try:
                    return True, dt.date.fromisoformat(value)
                except ValueError:
                    pass
            self.error(where, name, f"expected a date (YYYY-MM-DD), got {_type_name(value)}", path)
            return False, None
        raise AssertionError(f"unknown column kind {kind}")

    def list_of(self, where: str, name: str, value: Any, path: _NodePath) -> bool:
        if not isinstance(value, list):
            self.error(where, name, f"expected a list, got {_type_name(value)}", path)
            return False
        return True

    def materials(self, entry: _Entry, value: Any, path: _NodePath) -> tuple[bool, Any]:
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
                    f"expected a mapping (material, required, note), got {_type_name(row)}",
                    row_path,
                )
                ok = False
                continue
            ok &= self.mapping_keys(where, prefix + ".", row, _MATERIAL_KEYS, row_path)
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
                _Reference(
                    entry, f"{prefix}.material", row_path + ("material",), "material_types", code
                )
            )
            cleaned.append({"material": code, "required": is_required, "note": note})
        return ok, cleaned

    def item_codes(self, entry: _Entry, value: Any, path: _NodePath) -> tuple[bool, Any]:
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
                self.references.append(_Reference(entry, name, path + (index,), "items", code))
                cleaned.append(code)
        return ok, cleaned

    def form_fields(self, entry: _Entry, value: Any, path: _NodePath) -> tuple[bool, Any]:
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
                    f"expected a mapping (name, label, prefill), got {_type_name(row)}",
                    row_path,
                )
                ok = False
                continue
            row_ok = self.mapping_keys(where, prefix + ".", row, _FORM_FIELD_KEYS, row_path)
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

    def prefill(self, entry: _Entry, name: str, value: Any, path: _NodePath) -> tuple[bool, Any]:
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
        self.references.append(_Reference(entry, name, path, "registries", registry))
        return True, value


# --- checking against the database -------------------------------------------


def _load_existing(
    entries: list[_Entry], references: list[_Reference]
) -> dict[str, dict[Any, Any]]:
    """The rows the file updates or refers to, keyed by natural key, FKs already joined."""
    wanted: dict[str, set[Any]] = {name: set() for name in SECTION_NAMES}
    for entry in entries:
        if entry.section.natural_key == ("code",) and "code" in entry.values:
            wanted[entry.section.name].add(entry.values["code"])
    for reference in references:
        wanted[reference.target].add(reference.code)
    existing: dict[str, dict[Any, Any]] = {}
    for section in SECTIONS:
        if section.name == "sharing_agreements":
            continue
        related = [column.attribute for column in section.columns if column.kind == "ref"]
        queryset = section.model.objects.filter(code__in=wanted[section.name])
        if related:
            queryset = queryset.select_related(*related)
        if section.name == "items":
            queryset = queryset.prefetch_related(_requirements())
        elif section.name == "bundles":
            queryset = queryset.prefetch_related(_bundle_items())
        existing[section.name] = {row.code: row for row in queryset}
    pairs = {
        entry.key
        for entry in entries
        if entry.section.name == "sharing_agreements" and entry.has_key
    }
    agreements = SharingAgreement.objects.select_related("consumer", "registry").filter(
        consumer__code__in={consumer for consumer, _ in pairs},
        registry__code__in={registry for _, registry in pairs},
    )
    existing["sharing_agreements"] = {
        (row.consumer.code, row.registry.code): row
        for row in agreements
        if (row.consumer.code, row.registry.code) in pairs
    }
    return existing


def _check_duplicates(checker: _Checker, entries: list[_Entry]) -> None:
    first: dict[tuple[str, Any], _Entry] = {}
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


def _check_references(
    checker: _Checker, existing: dict[str, dict[Any, Any]], file_codes: dict[str, set[str]]
) -> None:
    for reference in checker.references:
        if (
            reference.code in file_codes[reference.target]
            or reference.code in existing[reference.target]
        ):
            continue
        noun = _SECTIONS_BY_NAME[reference.target].noun
        checker.error(
            reference.entry.where,
            reference.field,
            f'unknown {noun} "{reference.code}"',
            reference.path,
        )
        reference.entry.is_valid = False


def _check_departments(checker: _Checker, entries: list[_Entry]) -> None:
    """Credit codes must be real ones; department names are unique."""
    departments = [entry for entry in entries if entry.section.name == "departments"]
    for entry in departments:
        credit_code = entry.values.get("credit_code")
        if not credit_code:
            continue
        path = ("departments", entry.index, "credit_code")
        try:
            validate_uscc(credit_code)
        except ValidationError as error:
            for message in error.messages:
                checker.error(entry.where, "credit_code", message, path)
            entry.is_valid = False
            continue
        if credit_code != normalise_identifier(credit_code):
            checker.error(
                entry.where,
                "credit_code",
                f'write it as "{normalise_identifier(credit_code)}"',
                path,
            )
            entry.is_valid = False
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


def _differs(instance: Any, column: _Column, value: Any) -> bool:
    assert column.attribute is not None
    current = getattr(instance, column.attribute)
    if column.kind == "ref":
        current = current.code if current is not None else None
    return bool(current != value)


def _current_children(entry: _Entry) -> list[tuple[Any, ...]]:
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


def _desired_children(entry: _Entry) -> list[tuple[Any, ...]] | None:
    if entry.section.name == "items" and "materials" in entry.values:
        return [
            (row["material"], row["required"], row["note"], position)
            for position, row in enumerate(entry.values["materials"])
        ]
    if entry.section.name == "bundles" and "items" in entry.values:
        return [(code, position) for position, code in enumerate(entry.values["items"])]
    return None


def _check_models(
    checker: _Checker, entries: list[_Entry], existing: dict[str, dict[Any, Any]]
) -> None:
    """Build each row as it will be saved and run the model's own validation on it."""
    for entry in entries:
        if not entry.is_valid:
            continue
        section = entry.section
        instance = existing[section.name].get(entry.key)
        entry.is_new = instance is None
        if instance is None:
            instance = section.model()
        entry.instance = instance
        foreign_keys = [column.attribute for column in section.columns if column.kind == "ref"]
        for column in section.columns:
            if column.key not in entry.values or column.attribute is None:
                continue
            value = entry.values[column.key]
            if not entry.is_new and _differs(instance, column, value):
                entry.changed_keys.add(column.key)
            if column.kind != "ref":
                setattr(instance, column.attribute, value)
        desired = _desired_children(entry)
        if desired is not None and (entry.is_new or desired != _current_children(entry)):
            entry.are_children_changed = True
        keys_by_attribute = {
            column.attribute: column.key for column in section.columns if column.attribute
        }
        problems: dict[str, list[str]] = {}
        try:
            instance.full_clean(
                exclude=foreign_keys, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for attribute, messages in error.message_dict.items():
                problems.setdefault(keys_by_attribute.get(attribute, attribute), []).extend(
                    messages
                )
        for constraint in section.model._meta.constraints:
            try:
                constraint.validate(section.model, instance, exclude=set(foreign_keys))
            except ValidationError as error:
                key, message = _CONSTRAINT_MESSAGES.get(
                    constraint.name, (NON_FIELD_ERRORS, " ".join(error.messages))
                )
                problems.setdefault(key, []).append(message)
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
        for key, messages in problems.items():
            steps = key.replace("[", ".").replace("]", "").split(".")
            path = (
                section.name,
                entry.index,
                *(int(step) if step.isdigit() else step for step in steps),
            )
            for message in messages:
                checker.error(
                    entry.where, None if key == NON_FIELD_ERRORS else key, str(message), path
                )
            entry.is_valid = False


# --- writing -------------------------------------------------------------------


def _write(entries: list[_Entry], existing: dict[str, dict[Any, Any]]) -> dict[str, int]:
    counts = {
        f"{name}_{outcome}": 0
        for name in SECTION_NAMES
        for outcome in ("created", "updated", "unchanged")
    }
    resolved = {name: dict(rows) for name, rows in existing.items() if name != "sharing_agreements"}
    # Department names are unique: renamed departments first take a placeholder, so
    # two of them can swap names in one import.
    Department.objects.filter(
        pk__in=[
            entry.instance.pk
            for entry in entries
            if entry.section.name == "departments" and "name" in entry.changed_keys
        ]
    ).update(name=Concat(Value("renaming "), "code"))
    for section in SECTIONS:  # in dependency order: everything a row refers to is saved before it
        for entry in (entry for entry in entries if entry.section is section):
            instance = entry.instance
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
            if section.name == "items" and entry.are_children_changed:
                _write_requirements(instance, entry.values["materials"], resolved["material_types"])
            if section.name == "bundles" and entry.are_children_changed:
                instance.bundle_items.all().delete()
                BundleItem.objects.bulk_create(
                    BundleItem(bundle=instance, item=resolved["items"][code], position=position)
                    for position, code in enumerate(entry.values["items"])
                )
            outcome = "created" if entry.is_new else "updated" if entry.is_changed else "unchanged"
            counts[f"{section.name}_{outcome}"] += 1
    return counts


def _write_requirements(
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


# --- the services --------------------------------------------------------------


def _syntax_error(error: yaml.MarkedYAMLError) -> str:
    """``line 6, column 1: YAML syntax error: expected ',' or '}'... (while parsing a flow
    mapping that starts at line 5, column 5)``: where the parser gave up, and what it was in."""
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    message = f"{where}YAML syntax error: {error.problem or error.context}"
    if error.problem and error.context:
        message += f" ({error.context}"
        if error.context_mark is not None and error.context_mark is not mark:
            message += (
                f" that starts at line {error.context_mark.line + 1}, "
                f"column {error.context_mark.column + 1}"
            )
        message += ")"
    return message


def catalogue_import(*, path: Path | str) -> dict[str, int]:
    """Load a catalogue YAML file into the database, all or nothing.

    Rows are matched by code (sharing agreements by consumer and registry): existing
    rows are updated, new ones created, and nothing else is deleted, except that an
    item's materials and a bundle's items become exactly the lists in the file. A key
    left out of an entry keeps the row's current value (or the default, for a new
    row). References may point to rows in the file or already in the database.

    Returns ``{"<section>_created": n, "<section>_updated": n, "<section>_unchanged": n}``
    for every section. Raises :class:`CatalogueError` listing every problem in the
    file; then nothing at all has been written.
    """
    path = Path(path)
    filename = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogueError([f"{filename}: file not found: {path}"]) from None
    except UnicodeDecodeError as error:
        raise CatalogueError([f"{filename}: not UTF-8 text (byte {error.start})"]) from None
    except OSError as error:
        raise CatalogueError([f"{filename}: cannot read the file: {error.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise CatalogueError([f"{filename}: {_syntax_error(error)}"]) from None
    except yaml.YAMLError as error:
        raise CatalogueError([f"{filename}: YAML syntax error: {error}"]) from None

    checker = _Checker(filename=filename, locator=_Locator(root))
    entries = checker.sections(data)
    _check_duplicates(checker, entries)
    file_codes = {
        name: {
            entry.values["code"]
            for entry in entries
            if entry.section.name == name and "code" in entry.values
        }
        for name in SECTION_NAMES
    }
    existing = _load_existing(entries, checker.references)
    _check_references(checker, existing, file_codes)
    _check_departments(checker, entries)
    _check_models(checker, entries, existing)
    if checker.errors:
        raise CatalogueError(checker.errors)
    try:
        with transaction.atomic():
            return _write(entries, existing)
    except DatabaseError as error:
        # Another writer got in between the checks and the write (or a rename swap
        # collided); nothing was written.
        raise CatalogueError(
            [f"{filename}: the database refused the import, nothing was written: {error}"]
        ) from None


def _code(row: Any) -> str | None:
    return row.code if row is not None else None


def catalogue_export(*, path: Path | str | None = None) -> str:
    """The whole catalogue as YAML, in the format ``catalogue_import`` reads.

    Every section appears, in the fixed order, rows ordered by code (sharing
    agreements by consumer and registry), so two exports of the same catalogue are
    byte-identical and diff cleanly. Written to ``path`` (UTF-8) when given.
    """
    departments = [
        {"code": row.code, "name": row.name, "level": row.level, "credit_code": row.credit_code}
        for row in Department.objects.order_by("code")
    ]
    registries = [
        {
            "code": row.code,
            "name": row.name,
            "department": row.department.code,
            "kind": row.kind,
            "connector": row.connector,
            "endpoint_url": row.endpoint_url,
            "description": row.description,
        }
        for row in Registry.objects.select_related("department").order_by("code")
    ]
    certificate_types = [
        {
            "code": row.code,
            "name": row.name,
            "issuing_department": row.issuing_department.code,
            "validity_days": row.validity_days,
            "formats": row.formats,
        }
        for row in CertificateType.objects.select_related("issuing_department").order_by("code")
    ]
    material_types = [
        {
            "code": row.code,
            "name": row.name,
            "description": row.description,
            "satisfied_by": _code(row.satisfied_by),
            "verifiable_by": _code(row.verifiable_by),
            "reuse_validity_days": row.reuse_validity_days,
        }
        for row in MaterialType.objects.select_related("satisfied_by", "verifiable_by").order_by(
            "code"
        )
    ]
    items = [
        {
            "code": row.code,
            "name": row.name,
            "department": row.department.code,
            "kind": row.kind,
            "audience": row.audience,
            "legal_basis": row.legal_basis,
            "promised_working_days": row.promised_working_days,
            "fee": str(Decimal(row.fee).quantize(Decimal("0.01"))),
            "lowest_level": row.lowest_level,
            "requires_presence": row.requires_presence,
            "auto_decide": row.auto_decide,
            "produces": _code(row.produces),
            "form_fields": [_export_form_field(form_field) for form_field in row.form_fields or []],
            "materials": [
                {
                    "material": requirement.material_type.code,
                    "required": requirement.is_required,
                    "note": requirement.note,
                }
                for requirement in sorted(
                    row.requirements.all(),
                    key=lambda requirement: (requirement.position, requirement.pk),
                )
            ],
        }
        for row in ServiceItem.objects.select_related("department", "produces")
        .prefetch_related(_requirements())
        .order_by("code")
    ]
    bundles = [
        {
            "code": row.code,
            "name": row.name,
            "description": row.description,
            "audience": row.audience,
            "life_event": row.life_event,
            "all_or_nothing": row.is_all_or_nothing,
            "items": [bundle_item.item.code for bundle_item in row.bundle_items.all()],
        }
        for row in Bundle.objects.prefetch_related(_bundle_items()).order_by("code")
    ]
    sharing_agreements = [
        {
            "consumer": row.consumer.code,
            "registry": row.registry.code,
            "purpose": row.purpose,
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
            "is_active": row.is_active,
        }
        for row in SharingAgreement.objects.select_related("consumer", "registry").order_by(
            "consumer__code", "registry__code"
        )
    ]
    document = {
        "departments": departments,
        "registries": registries,
        "certificate_types": certificate_types,
        "material_types": material_types,
        "items": items,
        "bundles": bundles,
        "sharing_agreements": sharing_agreements,
    }
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _export_form_field(form_field: Any) -> Any:
    """``name, label, prefill`` first; anything else a row holds is kept (and the import will name it)."""
    if not isinstance(form_field, dict):
        return form_field
    ordered = {key: form_field.get(key) for key in _FORM_FIELD_KEYS}
    ordered.update((key, value) for key, value in form_field.items() if key not in _FORM_FIELD_KEYS)
    return ordered
