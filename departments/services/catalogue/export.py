"""Exporting the catalogue: the database as YAML in the format the import reads.

Rows are ordered by their natural key, so two exports of the same catalogue are
byte-identical and diff cleanly under version control.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from departments.models import (
    Bundle,
    CertificateType,
    Department,
    MaterialType,
    Registry,
    ServiceItem,
    SharingAgreement,
)

from .schema import FORM_FIELD_KEYS, bundle_items_prefetch, requirements_prefetch


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
            "description": row.description,
            "eligibility": row.eligibility,
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
        .prefetch_related(requirements_prefetch())
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
        for row in Bundle.objects.prefetch_related(bundle_items_prefetch()).order_by("code")
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
    ordered = {key: form_field.get(key) for key in FORM_FIELD_KEYS}
    ordered.update((key, value) for key, value in form_field.items() if key not in FORM_FIELD_KEYS)
    return ordered
