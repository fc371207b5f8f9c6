"""The citizen's copy of their data (PIPL art. 45): one JSON document, built in a fixed
number of queries however many cases the applicant has.

Everything is filtered by the applicant first. Staff-only things stay out: internal
events (``is_public`` off), who on the staff did what, the files themselves (their
metadata only: a file is downloaded from its case), registry answers (only their hashes
are kept; what intake prefilled from them is the case's ``registry_prefill``, which is
included).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from cases.events import event_label
from cases.models import Applicant, Approval, Case, CaseEvent, CaseMaterial, Delivery
from certificates.models import Certificate
from citizens.selectors import applicant_batch_reads, applicant_data_reads
from departments.models import ServiceItem

EXPORT_FORMAT = "onewindow-personal-data/1"


def _when(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _by_case(rows: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.case_id].append(row)
    return grouped


def personal_data_export(*, applicant: Applicant) -> dict[str, Any]:
    cases = list(
        Case.objects.filter(applicant=applicant)
        .prefetch_related(
            Prefetch("items", queryset=ServiceItem.objects.select_related("department"))
        )
        .order_by("created_at", "id")
    )
    case_ids = [case.pk for case in cases]
    approvals = _by_case(
        Approval.objects.filter(case_id__in=case_ids)
        .select_related("item", "department")
        .order_by("id")
    )
    events = _by_case(
        CaseEvent.objects.filter(case_id__in=case_ids, is_public=True)
        .select_related("approval__item")
        .order_by("created_at", "id")
    )
    materials = _by_case(
        CaseMaterial.objects.filter(case_id__in=case_ids)
        .select_related("material_type", "certificate")
        .order_by("id")
    )
    deliveries = _by_case(
        Delivery.objects.filter(case_id__in=case_ids).order_by("created_at", "id")
    )
    certificates = (
        Certificate.objects.filter(holder=applicant)
        .select_related("certificate_type", "issuing_department", "case")
        .order_by("issued_at", "id")
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _when(timezone.now()),
        "applicants": [
            {
                "kind": applicant.kind,
                "id_type": applicant.id_type,
                "id_number": applicant.id_number,
                "name": applicant.name,
                "phone": applicant.phone,
                "address": applicant.address,
                "legal_representative": applicant.legal_representative,
                "created_at": _when(applicant.created_at),
            }
        ],
        "cases": [
            {
                "tracking_no": case.tracking_no,
                "channel": case.channel,
                "state": case.state,
                "state_display": str(case.get_state_display()),
                "submitted_at": _when(case.submitted_at),
                "due_date": _when(case.due_date),
                "closed_at": _when(case.closed_at),
                "form_data": case.form_data,
                # What the registries held about the applicant when the case was opened.
                "registry_prefill": case.registry_prefill,
                "items": [
                    {"code": item.code, "name": item.name, "department": item.department.name}
                    for item in case.items.all()
                ],
                "approvals": [
                    {
                        "item": approval.item.code,
                        "department": approval.department.name,
                        "state": approval.state,
                        "state_display": str(approval.get_state_display()),
                        "due_date": _when(approval.due_date),
                    }
                    for approval in approvals[case.pk]
                ],
                "events": [
                    {
                        "at": _when(event.created_at),
                        "event": str(event_label(event.name)),
                        "item": event.approval.item.name if event.approval_id else "",
                        "note": event.note,
                    }
                    for event in events[case.pk]
                ],
                "materials": [
                    {
                        "material_type": material.material_type.code,
                        "name": material.material_type.name,
                        "status": material.status,
                        "detail": material.detail,
                        "original_name": material.original_name,
                        "content_type": material.content_type,
                        "size": material.size,
                        "sha256": material.sha256,
                        "file_kept": bool(material.file),
                        "certificate": material.certificate.number
                        if material.certificate_id
                        else None,
                    }
                    for material in materials[case.pk]
                ],
                "deliveries": [
                    {
                        "courier": delivery.courier,
                        "waybill": delivery.waybill,
                        "recipient": delivery.recipient,
                        "phone": delivery.phone,
                        "address": delivery.address_display,
                        "status": delivery.status,
                        "signed_by": delivery.signed_by,
                        "delivered_at": _when(delivery.delivered_at),
                        "history": delivery.history,
                    }
                    for delivery in deliveries[case.pk]
                ],
            }
            for case in cases
        ],
        "certificates": [
            {
                "number": certificate.number,
                "licence_id": certificate.licence_id,
                "type": certificate.certificate_type.code,
                "type_name": certificate.certificate_type.name,
                "issuing_department": certificate.issuing_department.name,
                "status": certificate.status,
                "issued_at": _when(certificate.issued_at),
                "valid_from": _when(certificate.valid_from),
                "valid_until": _when(certificate.valid_until),
                "case": certificate.case.tracking_no if certificate.case_id else None,
            }
            for certificate in certificates
        ],
        "data_access_log": [
            {
                "at": _when(read.created_at),
                "requesting_department": read.requesting_department.name,
                "registry": read.registry.name,
                "registry_department": read.registry.department.name,
                "purpose": read.purpose,
                "outcome": read.outcome,
                "case": read.case.tracking_no if read.case_id else None,
            }
            for read in applicant_data_reads(applicant=applicant)
        ],
        # Reads of a whole population at once (a lottery round's check): one row per
        # registry per purpose, written set-based by the sharing gateway.
        "batch_data_access_log": [
            {
                "at": _when(row.created_at),
                "requesting_department": row.purpose.department.name,
                "registry": row.registry.name,
                "registry_department": row.registry.department.name,
                "purpose": row.purpose.purpose,
                "record_found": row.found,
            }
            for row in applicant_batch_reads(applicant=applicant)
        ],
    }
