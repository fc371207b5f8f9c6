"""The catalogue file's format: its sections, their columns, and what each column holds.

One table drives parsing, checking, writing and export alike, so a new column is
added in one place. The sections are in dependency order: everything a row refers
to comes in an earlier section, which is also the order they are written in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Prefetch

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
class Column:
    key: str  # the key in the file
    kind: str  # str, int, bool, date, decimal, choice, ref, form_fields, materials, item_codes
    attribute: str | None = None  # the model attribute, when the key is one
    required: bool = False
    nullable: bool = False
    choices: type[models.TextChoices] | None = None
    target: str | None = None  # the section a reference points into


@dataclass(frozen=True)
class Section:
    name: str
    noun: str  # what one entry is, for messages: "unknown department "ZZ""
    model: type[models.Model]
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = ("code",)


def _plain(key: str, kind: str = "str", **options: Any) -> Column:
    return Column(key, kind, attribute=key, **options)


def _ref(key: str, target: str, **options: Any) -> Column:
    return Column(key, "ref", attribute=key, target=target, **options)


def _choice(key: str, choices: type[models.TextChoices], **options: Any) -> Column:
    return Column(key, "choice", attribute=key, choices=choices, **options)


_CODE = _plain("code", required=True)
_NAME = _plain("name", required=True)

SECTIONS: tuple[Section, ...] = (
    Section(
        "departments",
        "department",
        Department,
        (_CODE, _NAME, _choice("level", DepartmentLevel), _plain("credit_code")),
    ),
    Section(
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
    Section(
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
    Section(
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
    Section(
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
            _plain("description"),
            _plain("eligibility"),
            _plain("promised_working_days", "int", required=True),
            _plain("fee", "decimal"),
            _choice("lowest_level", CentreLevel),
            _plain("requires_presence", "bool"),
            _plain("auto_decide", "bool"),
            _ref("produces", "certificate_types", nullable=True),
            _plain("form_fields", "form_fields"),
            Column("materials", "materials"),
        ),
    ),
    Section(
        "bundles",
        "bundle",
        Bundle,
        (
            _CODE,
            _NAME,
            _plain("description"),
            _choice("audience", Audience),
            _choice("life_event", LifeEvent),
            Column("all_or_nothing", "bool", attribute="is_all_or_nothing"),
            Column("items", "item_codes"),
        ),
    ),
    Section(
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
SECTIONS_BY_NAME = {section.name: section for section in SECTIONS}

MATERIAL_KEYS = ("material", "required", "note")


def requirements_prefetch() -> Prefetch:
    return Prefetch("requirements", MaterialRequirement.objects.select_related("material_type"))


def bundle_items_prefetch() -> Prefetch:
    return Prefetch("bundle_items", BundleItem.objects.select_related("item"))


FORM_FIELD_KEYS = ("name", "label", "prefill")

# Check constraints of the catalogue models, said in the operator's terms.
CONSTRAINT_MESSAGES = {
    "registry_http_needs_endpoint": ("endpoint_url", "an http connector needs an endpoint_url"),
    "item_auto_decide_not_in_person": (
        "auto_decide",
        "must be false when requires_presence is true: an item that needs the applicant "
        "in person cannot be decided automatically",
    ),
    "sharing_valid_range": ("valid_until", "must not be before valid_from"),
}
