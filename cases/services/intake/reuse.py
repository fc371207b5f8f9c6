"""What the applicant handed over before: their valid certificates and earlier uploads.

The two reuse lookups of the checklist (``resolution``): a valid certificate in the
applicant's library (source 1) and the same material handed over in an earlier case,
still within the material type's reuse period (source 3). Reads only.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from departments.models import MaterialType

from ...constants import CertificateStatus, MaterialStatus
from ...models import Case, CaseMaterial


def case_valid_certificate(*, case: Case, material_type: MaterialType) -> models.Model | None:
    """The applicant's newest valid certificate that meets this requirement (the
    library is the certificates app's: read through the applicant's reverse relation)."""
    if material_type.satisfied_by_id is None:
        return None
    today = timezone.localdate()
    return (
        case.applicant.certificates.filter(
            certificate_type_id=material_type.satisfied_by_id,
            status=CertificateStatus.VALID,
            valid_from__lte=today,
        )
        .exclude(valid_until__lt=today)
        .order_by("-issued_at")
        .first()
    )


def case_earlier_materials(
    *, case: Case, material_types: list[MaterialType]
) -> dict[int, CaseMaterial]:
    """The latest upload of each reusable type in the applicant's other cases, still valid.

    One query for every type at once, through the applicant's cases (their index) and the
    (case, material type) index, so it stays fast however many cases the library holds.
    """
    reusable = {
        material_type.pk: material_type
        for material_type in material_types
        if material_type.reuse_validity_days
    }
    if not reusable:
        return {}
    now = timezone.now()
    longest = max(material_type.reuse_validity_days or 0 for material_type in reusable.values())
    earlier_cases = list(
        Case.objects.filter(applicant_id=case.applicant_id)
        .exclude(pk=case.pk)
        .values_list("pk", flat=True)
    )
    if not earlier_cases:
        return {}
    found: dict[int, CaseMaterial] = {}
    candidates = (
        CaseMaterial.objects.filter(
            case_id__in=earlier_cases,
            updated_at__gte=now - dt.timedelta(days=longest),
        )
        # Type and status as expressions, on purpose: without table statistics the planner
        # would otherwise scan every upload of these types (the type/status index, thousands
        # of rows) instead of the applicant's own cases (the case/type index, a few rows).
        .annotate(
            type_id_plain=F("material_type_id") + 0,
            status_plain=Concat("status", Value("")),
        )
        .filter(type_id_plain__in=list(reusable), status_plain=MaterialStatus.UPLOADED)
        .select_related("case")
        .order_by("-updated_at", "-id")
    )
    for material in candidates:
        material_type = reusable[material.material_type_id]
        if material.material_type_id in found:
            continue
        if material.updated_at >= now - dt.timedelta(days=material_type.reuse_validity_days or 0):
            found[material.material_type_id] = material
    return found
