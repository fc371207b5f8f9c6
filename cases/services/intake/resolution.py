"""The checklist: every material the case's items need, each type once, and how it is met.

For each material requirement of the union of the case's items the sources are
tried in the order of docs/architecture.md §5:

1. a valid certificate of the applicant in the library (status valid, not past
   its end date) → ``reused_certificate``;
2. a registry that can verify it, read through the sharing gateway as the
   department of the first item that needs it → ``verified``;
3. the same material handed over in an earlier case, still within the material
   type's reuse period → ``reused_material``;
4. another item of this case produces the certificate that satisfies it →
   ``produced_in_case``;
5. otherwise the paper: ``uploaded`` once a scan is on file, else ``missing``.

Resolving again changes nothing already met; it only retries what is missing.
Evidence the applicant declined is not fetched again: they hand over the paper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import MaterialType, ServiceItem

from ...constants import CertificateStatus, MaterialStatus, VerificationOutcome
from ...models import Case, CaseMaterial, Verification
from ..checks import CHECK_RULES
from ..sharing import purpose_text, registry_read
from .reuse import case_earlier_materials, case_valid_certificate


@dataclass
class ChecklistEntry:
    """One row of the checklist the clerk sees before accepting."""

    material: CaseMaterial
    items: list[ServiceItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_required: bool = True

    @property
    def material_type(self) -> MaterialType:
        return self.material.material_type

    @property
    def status(self) -> str:
        return self.material.status

    @property
    def is_missing(self) -> bool:
        return self.is_required and self.material.status == MaterialStatus.MISSING

    @property
    def has_evidence(self) -> bool:
        """Met from data the government already holds: the applicant may decline it."""
        return self.material.status in (
            MaterialStatus.REUSED_CERTIFICATE,
            MaterialStatus.VERIFIED,
            MaterialStatus.REUSED_MATERIAL,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "material_type": self.material_type.code,
            "name": self.material_type.name,
            "status": self.status,
            "detail": self.material.detail,
            "required": self.is_required,
            "items": [item.code for item in self.items],
            "evidence_declined": self.material.evidence_declined,
        }


def case_items_in_order(*, case: Case) -> list[ServiceItem]:
    """The case's items in the bundle's order (or by code), with their requirements."""
    items = list(
        case.items.select_related("department", "produces").prefetch_related(
            "requirements__material_type__satisfied_by",
            "requirements__material_type__verifiable_by",
        )
    )
    if case.bundle_id:
        positions = dict(case.bundle.bundle_items.values_list("item_id", "position"))
        items.sort(key=lambda item: (positions.get(item.pk, 10_000), item.code))
    else:
        items.sort(key=lambda item: item.code)
    return items


def _requirements(items: list[ServiceItem]) -> dict[int, ChecklistEntry]:
    """Material type id → the items needing it, in first-need order (each type once)."""
    entries: dict[int, ChecklistEntry] = {}
    for item in items:
        for requirement in item.requirements.all():
            entry = entries.get(requirement.material_type_id)
            if entry is None:
                entry = ChecklistEntry(
                    material=CaseMaterial(material_type=requirement.material_type),
                    is_required=False,
                )
                entries[requirement.material_type_id] = entry
            entry.items.append(item)
            entry.is_required = entry.is_required or requirement.is_required
            if requirement.note and requirement.note not in entry.notes:
                entry.notes.append(requirement.note)
    return entries


def case_checklist(*, case: Case, items: list[ServiceItem] | None = None) -> list[ChecklistEntry]:
    """The checklist as it stands (a read: nothing is fetched or written)."""
    entries = _requirements(items if items is not None else case_items_in_order(case=case))
    stored = {
        material.material_type_id: material
        for material in case.materials.select_related(
            "material_type", "certificate", "verification__registry", "producing_item"
        )
    }
    for type_id, entry in entries.items():
        if type_id in stored:
            entry.material = stored[type_id]
        else:
            entry.material.case = case
    return list(entries.values())


def _registry_verification(*, case: Case, entry: ChecklistEntry, user: Any) -> Verification | None:
    registry = entry.material_type.verifiable_by
    if registry is None:
        return None
    rule = CHECK_RULES.get(registry.kind)
    if rule is not None and case.applicant.kind not in rule[0]:
        return None  # this registry does not describe this kind of applicant: nothing to ask
    item = entry.items[0]
    reading = registry_read(
        registry=registry,
        subject_id=case.applicant.id_number,
        purpose=purpose_text(
            gettext_lazy("受理「%(item)s」：核验「%(material)s」"),
            item=item.name,
            material=entry.material_type.name,
        ),
        department=item.department,
        case=case,
        applicant=case.applicant,
        user=user,
    )
    passed = reading.outcome == VerificationOutcome.OK and (
        rule is None or rule[1](reading.data or {})
    )
    entry.material.detail = _("%(registry)s：%(outcome)s") % {
        "registry": registry.name,
        "outcome": reading.verification.get_outcome_display(),
    }
    return reading.verification if passed else None


def _producer(*, items: list[ServiceItem], entry: ChecklistEntry) -> ServiceItem | None:
    certificate_type_id = entry.material_type.satisfied_by_id
    if certificate_type_id is None:
        return None
    for item in items:
        if item.produces_id == certificate_type_id and item not in entry.items:
            return item
    # An item needing its own product (a renewal) cannot produce it for itself.
    return None


def _resolve_one(
    *,
    case: Case,
    items: list[ServiceItem],
    entry: ChecklistEntry,
    user: Any,
    earlier_by_type: dict[int, CaseMaterial],
) -> dict[str, Any]:
    """The fields of the material row for the first source that meets it."""
    material_type = entry.material_type
    declined = entry.material.evidence_declined
    if not declined:
        certificate = case_valid_certificate(case=case, material_type=material_type)
        if certificate is not None:
            until = certificate.valid_until.isoformat() if certificate.valid_until else _("长期")
            return {
                "status": MaterialStatus.REUSED_CERTIFICATE,
                "certificate": certificate,
                "detail": _("电子证照 %(number)s（有效期至 %(until)s）")
                % {"number": certificate.number, "until": until},
            }
        verification = _registry_verification(case=case, entry=entry, user=user)
        if verification is not None:
            return {
                "status": MaterialStatus.VERIFIED,
                "verification": verification,
                "detail": _("%(registry)s 核验通过") % {"registry": verification.registry.name},
            }
        earlier = earlier_by_type.get(material_type.pk)
        if earlier is not None:
            until = timezone.localtime(earlier.updated_at).date() + dt.timedelta(
                days=material_type.reuse_validity_days or 0
            )
            return {
                "status": MaterialStatus.REUSED_MATERIAL,
                "earlier_material": earlier,
                "detail": _("办件 %(number)s 中已提交（复用至 %(until)s）")
                % {"number": earlier.case.tracking_no, "until": until.isoformat()},
            }
    producer = _producer(items=items, entry=entry)
    if producer is not None:
        return {
            "status": MaterialStatus.PRODUCED_IN_CASE,
            "producing_item": producer,
            "detail": _("由本案「%(code)s %(name)s」产生")
            % {"code": producer.code, "name": producer.name},
        }
    if declined:
        detail = _("申请人选择提交纸质材料")
    elif entry.material.detail:
        detail = entry.material.detail  # e.g. why the registry did not confirm it
    else:
        detail = _("需提交")
    return {"status": MaterialStatus.MISSING, "detail": detail[:300]}


SETTLED_STATUSES = {
    MaterialStatus.REUSED_CERTIFICATE,
    MaterialStatus.VERIFIED,
    MaterialStatus.REUSED_MATERIAL,
    MaterialStatus.PRODUCED_IN_CASE,
    MaterialStatus.UPLOADED,
}


def case_materials_resolve(*, case: Case, user: Any = None) -> list[ChecklistEntry]:
    """Meet every requirement from what the government already has; store the checklist.

    Registry reads happen first (each logged by the gateway); the rows are then
    written in one transaction. Requirements already met are left as they are,
    so resolving again is idempotent.
    """
    items = case_items_in_order(case=case)
    entries = case_checklist(case=case, items=items)
    planned: dict[int, dict[str, Any]] = {}
    to_resolve = []
    for entry in entries:
        if entry.material.pk is not None and entry.material.status in SETTLED_STATUSES:
            # A certificate that has since been revoked or expired no longer counts.
            certificate = entry.material.certificate
            still_valid = certificate is None or (
                certificate.status == CertificateStatus.VALID
                and (
                    certificate.valid_until is None
                    or certificate.valid_until >= timezone.localdate()
                )
            )
            if still_valid:
                continue
        to_resolve.append(entry)
    earlier_by_type = case_earlier_materials(
        case=case,
        material_types=[
            entry.material_type for entry in to_resolve if not entry.material.evidence_declined
        ],
    )
    for entry in to_resolve:
        planned[entry.material_type.pk] = _resolve_one(
            case=case, items=items, entry=entry, user=user, earlier_by_type=earlier_by_type
        )
    # Three statements whatever the number of requirements: update the rows that exist,
    # insert the new ones (a concurrent resolution inserting the same row updates it instead).
    resolved_fields = [
        "status",
        "detail",
        "certificate",
        "verification",
        "earlier_material",
        "producing_item",
        "updated_at",
    ]
    existing, new = [], []
    now = timezone.now()
    for entry in entries:
        fields = planned.get(entry.material_type.pk)
        if fields is None:
            continue
        material = entry.material
        material.case = case
        material.status = fields["status"]
        material.detail = fields.get("detail", "")
        material.certificate = fields.get("certificate")
        material.verification = fields.get("verification")
        material.earlier_material = fields.get("earlier_material")
        material.producing_item = fields.get("producing_item")
        material.updated_at = now
        (existing if material.pk is not None else new).append(material)
    with transaction.atomic():
        if existing:
            CaseMaterial.objects.bulk_update(existing, resolved_fields)
        if new:
            CaseMaterial.objects.bulk_create(
                new,
                update_conflicts=True,
                unique_fields=["case", "material_type"],
                update_fields=resolved_fields,
            )
    return entries


def checklist_missing(entries: list[ChecklistEntry]) -> list[ChecklistEntry]:
    return [entry for entry in entries if entry.is_missing]


def checklist_reuse_rate(entries: list[ChecklistEntry]) -> float:
    """Requirements met without the applicant handing anything over, over all requirements."""
    if not entries:
        return 0.0
    reused = sum(
        1
        for entry in entries
        if entry.status
        in (
            MaterialStatus.REUSED_CERTIFICATE,
            MaterialStatus.VERIFIED,
            MaterialStatus.REUSED_MATERIAL,
            MaterialStatus.PRODUCED_IN_CASE,
        )
    )
    return reused / len(entries)
