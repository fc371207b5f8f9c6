"""Prefill of a case from the registries, as the window's department and for the case.

Prefill reads the population registry (persons) or the legal-person registry
(organisations) through the sharing gateway, as the window's department and for
the case, and fills the applicant's name, address and phone and every form field
of the case's items whose catalogue entry names a registry field
(``"POPULATION.spouse_name"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy

from departments.models import Department, Registry, ServiceItem

from ...constants import VerificationOutcome
from ...models import Applicant, Case
from ..overrides import (
    APPLICANT_REGISTRY_KIND,
    GUARDED_APPLICANT_FIELDS,
    applicant_registry_values,
    case_overridden_fields,
)
from ..sharing import purpose_text, registry_read
from .applicants import applicant_registry, intake_department


@dataclass
class PrefillResult:
    applicant_fields: dict[str, str] = field(default_factory=dict)
    form_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Readings:
    """What the registries answered, by registry code: every read's outcome, and the
    record and verification of each read that found the subject."""

    outcomes: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    verifications: dict[str, int] = field(default_factory=dict)


def _form_registry_codes(items: Iterable[ServiceItem]) -> set[str]:
    """The registries the items' form fields name (``"POPULATION"`` of ``"POPULATION.x"``)."""
    return {
        spec["prefill"].split(".", 1)[0]
        for item in items
        for spec in item.form_fields or []
        if isinstance(spec, dict) and spec.get("prefill") and "." in spec["prefill"]
    }


def _registries_to_read(
    *, applicant: Applicant, own_registry: Registry | None, items: Iterable[ServiceItem]
) -> dict[str, Registry]:
    """The applicant's own registry and those the items' forms name, by code."""
    wanted: dict[str, Registry] = {}
    if own_registry is not None:
        wanted[own_registry.code] = own_registry
    registry_codes = _form_registry_codes(items)
    allowed_kinds = {APPLICANT_REGISTRY_KIND[applicant.kind]}
    for registry in Registry.objects.filter(code__in=registry_codes - set(wanted)):
        # A person is not in the legal-person registry, nor a company in the population one.
        if registry.kind in allowed_kinds or registry.kind not in APPLICANT_REGISTRY_KIND.values():
            wanted[registry.code] = registry
    return wanted


def _registries_read(
    *,
    registries: Mapping[str, Registry],
    case: Case,
    department: Department,
    user: Any,
) -> _Readings:
    """Each registry read once, in code order, through the gateway, for this case."""
    readings = _Readings()
    applicant = case.applicant
    for code, registry in sorted(registries.items()):
        reading = registry_read(
            registry=registry,
            subject_id=applicant.id_number,
            purpose=purpose_text(
                gettext_lazy("受理办件 %(number)s：预填申请人信息和申请表"),
                number=case.tracking_no,
            ),
            department=department,
            case=case,
            applicant=applicant,
            user=user,
        )
        readings.outcomes[code] = reading.outcome
        if reading.outcome == VerificationOutcome.OK and reading.data is not None:
            readings.records[code] = reading.data
            readings.verifications[code] = reading.verification.pk
    return readings


def _applicant_fill(
    *, case: Case, registry_values: Mapping[str, str], overwrite: bool
) -> dict[str, str]:
    """Put the registry's values on the applicant; the fields changed, with their values."""
    applicant = case.applicant
    # The registry's name, address and legal representative stand, whatever an
    # earlier case left on the applicant, unless this case recorded why not.
    kept = case_overridden_fields(case=case)
    changed: dict[str, str] = {}
    for name, value in registry_values.items():
        if name in GUARDED_APPLICANT_FIELDS:
            is_replaced = name not in kept and getattr(applicant, name) != value
        else:
            is_replaced = overwrite or not getattr(applicant, name)
        if is_replaced:
            setattr(applicant, name, value)
            changed[name] = value
    if changed:
        applicant.save(update_fields=[*changed, "updated_at"])
    return changed


def _item_form_fill(
    *,
    item: ServiceItem,
    values: dict[str, Any],
    records: Mapping[str, Mapping[str, Any]],
    overwrite: bool,
) -> dict[str, Any]:
    """Fill ``values`` (the item's form) from the records; the registry values its
    fields name, by field name."""
    prefilled: dict[str, Any] = {}
    for spec in item.form_fields or []:
        if not isinstance(spec, dict) or not spec.get("name"):
            continue
        source = spec.get("prefill") or ""
        registry_code, _dot, key = source.partition(".")
        record = records.get(registry_code)
        if record is None or key not in record:
            values.setdefault(spec["name"], "")
            continue
        prefilled[spec["name"]] = record[key]
        if overwrite or values.get(spec["name"]) in (None, ""):
            values[spec["name"]] = record[key]
    return prefilled


def case_prefill(*, case: Case, user: Any, overwrite: bool = False) -> PrefillResult:
    """Fill the applicant's details and the items' form fields from the registries.

    Each registry is read once, through the gateway, for this case. Values the
    clerk or applicant already typed are kept unless ``overwrite``.
    """
    applicant = case.applicant
    result = PrefillResult()
    department = intake_department(user=user, case=case)
    if department is None:
        return result
    own_registry = applicant_registry(kind=applicant.kind)
    items = list(case.items.order_by("code"))
    readings = _registries_read(
        registries=_registries_to_read(applicant=applicant, own_registry=own_registry, items=items),
        case=case,
        department=department,
        user=user,
    )
    result.outcomes.update(readings.outcomes)
    own = readings.records.get(own_registry.code) if own_registry is not None else None
    registry_prefill: dict[str, Any] = {}
    if own and own_registry is not None:
        registry_values = applicant_registry_values(kind=applicant.kind, record=own)
        registry_prefill = {
            "registry": own_registry.code,
            "verification": readings.verifications[own_registry.code],
            "applicant": registry_values,
        }
        result.applicant_fields.update(
            _applicant_fill(case=case, registry_values=registry_values, overwrite=overwrite)
        )
    form_data = dict(case.form_data or {})
    prefilled_forms: dict[str, dict[str, Any]] = {}
    for item in items:
        values = dict(form_data.get(item.code) or {})
        prefilled = _item_form_fill(
            item=item, values=values, records=readings.records, overwrite=overwrite
        )
        if prefilled:
            prefilled_forms[item.code] = prefilled
        form_data[item.code] = values
        result.form_data[item.code] = values
    if prefilled_forms:
        registry_prefill["forms"] = prefilled_forms
    case.form_data = form_data
    case.registry_prefill = registry_prefill
    case.save(update_fields=["form_data", "registry_prefill", "updated_at"])
    return result
