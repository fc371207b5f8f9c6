"""The case as anyone with its tracking number and the ID number's last four may see it.

Cleaning the tracking number, finding the case without telling an unknown number from a
wrong suffix, and the public view: the situation, the timeline, what is still missing,
the open supplement requests. No full ID number, phone or address leaves here.
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from cases.constants import (
    ApprovalState,
    CaseState,
    CertificateStatus,
    DeliveryStatus,
    MaterialStatus,
)
from cases.events import event_label
from cases.models import Approval, Case, CaseEvent, CaseMaterial, Delivery
from cases.services.numbers import TRACKING_ALPHABET, TRACKING_RANDOM_LENGTH
from certificates.models import Certificate
from certificates.selectors import certificate_effective_status
from departments.models import MaterialType

from ..constants import (
    EXPLANATION_OF_SITUATION,
    RESULT_WAITING_STATES,
    SITUATION_CAME_BACK,
    SITUATION_READY,
    STAGE_OF_SITUATION,
    Stage,
)

TRACKING_NO_PATTERN = re.compile(rf"^\d{{6}}[{TRACKING_ALPHABET}]{{{TRACKING_RANDOM_LENGTH}}}$")
ID_SUFFIX_PATTERN = re.compile(r"^[0-9A-Z]{4}$")


def tracking_no_clean(value: str) -> str:
    return "".join((value or "").split()).upper()


def case_for_tracking(*, tracking_no: str, id_suffix: str) -> Case | None:
    """The case if the number exists *and* the ID number ends with the suffix; else None.

    Unknown number and wrong suffix take the same path (one indexed query, one
    constant-time comparison) so neither the answer nor its timing tells them apart.
    """
    tracking_no = tracking_no_clean(tracking_no)
    id_suffix = (id_suffix or "").strip().upper()
    if not TRACKING_NO_PATTERN.match(tracking_no):
        tracking_no = ""  # still query, for the same timing; matches nothing
    case = Case.objects.select_related("applicant").filter(tracking_no=tracking_no).first()
    expected = case.applicant.id_number[-4:].upper() if case is not None else "----"
    suffix_matches = constant_time_compare(expected, id_suffix)
    if case is None or not suffix_matches or not ID_SUFFIX_PATTERN.match(id_suffix):
        return None
    return case


def _event_label(event: CaseEvent) -> str:
    return event_label(event.name)


# Parcels that are no longer on their way and brought the result back to the window.
DELIVERY_CAME_BACK_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.RETURNED)


def case_public_situation(
    *, state: str, has_unsigned_certificate: bool, last_delivery_status: str | None
) -> str:
    """The key of what the applicant reads about where the case is (``constants``'
    ``EXPLANATION_OF_SITUATION`` and ``STAGE_OF_SITUATION``): the state itself, except for
    a result waiting at the window — ``<state>:came_back`` when the last parcel came back,
    ``<state>:ready`` when every valid certificate of the case has its signed file (or the
    case produces none). ``tracking.statements._answer_sql`` computes the same key in SQL."""
    if state not in RESULT_WAITING_STATES:
        return str(state)
    if last_delivery_status in DELIVERY_CAME_BACK_STATUSES:
        return f"{state}:{SITUATION_CAME_BACK}"
    if has_unsigned_certificate:
        return str(state)
    return f"{state}:{SITUATION_READY}"


def certificate_is_unsigned(*, status: str, pdf_sha256: str) -> bool:
    """A valid certificate whose signed PDF is still being made."""
    return status == CertificateStatus.VALID and not pdf_sha256


def case_public_timeline(*, case: Case) -> list[dict[str, Any]]:
    """The events the applicant may see (``is_public``), oldest first: when, what, note."""
    events = (
        CaseEvent.objects.filter(case=case, is_public=True)
        .select_related("approval__item")
        .order_by("created_at", "id")
    )
    return [
        {
            "at": event.created_at,
            "event": _event_label(event),
            "item": event.approval.item.name if event.approval_id else "",
            "note": event.note,
        }
        for event in events
    ]


def case_missing_materials(*, case: Case) -> list[dict[str, Any]]:
    """What the applicant still has to hand over, and how: the one-time notice while the
    case waits for materials, and every department's open supplement request."""
    missing: list[dict[str, Any]] = []
    if case.state == CaseState.PENDING_MATERIALS:
        for material in (
            CaseMaterial.objects.filter(case=case, status=MaterialStatus.MISSING)
            .select_related("material_type")
            .order_by("id")
        ):
            missing.append(
                {
                    "material_type": material.material_type.code,
                    "name": material.material_type.name,
                    "item": "",
                    "department": "",
                    "reason": "",
                    "what_to_do": _("请登录「我的办件」在线上传，或一次带齐到综合窗口提交。"),
                }
            )
    for request in case_supplement_requests(case=case):
        for material in request["materials"]:
            missing.append(
                {
                    "material_type": material["code"],
                    "name": material["name"],
                    "item": request["approval"].item.name,
                    "department": request["approval"].department.name,
                    "reason": request["approval"].decision_note,
                    "what_to_do": _("请登录「我的办件」在线上传补正材料，无需到现场。"),
                }
            )
    return missing


def case_supplement_requests(*, case: Case) -> list[dict[str, Any]]:
    """Each approval waiting for a supplement, with its materials and whether each is in."""
    approvals = list(
        Approval.objects.filter(case=case, state=ApprovalState.SUPPLEMENT_REQUESTED)
        .select_related("item", "department")
        .order_by("id")
    )
    if not approvals:
        return []
    codes = {code for approval in approvals for code in approval.supplement_materials or []}
    names = dict(MaterialType.objects.filter(code__in=codes).values_list("code", "name"))
    uploaded = {
        material.material_type.code: material
        for material in CaseMaterial.objects.filter(
            case=case, material_type__code__in=codes, status=MaterialStatus.UPLOADED
        ).select_related("material_type")
    }
    requests = []
    for approval in approvals:
        materials = []
        for code in approval.supplement_materials or []:
            upload = uploaded.get(code)
            received = bool(
                upload
                and approval.suspended_at is not None
                and upload.updated_at >= approval.suspended_at
            )
            materials.append({"code": code, "name": names.get(code, code), "received": received})
        requests.append({"approval": approval, "materials": materials})
    return requests


def case_public_view(*, case: Case) -> dict[str, Any]:
    """What the tracking page and API show (docs/architecture.md §6): no full ID number, phone or address."""
    approvals = list(
        Approval.objects.filter(case=case).select_related("item", "department").order_by("id")
    )
    if approvals:
        items = [
            {
                "code": approval.item.code,
                "name": approval.item.name,
                "department": approval.department.name,
                "approval_state": approval.state,
                "approval_state_display": approval.get_state_display(),
                "due_date": approval.due_date,
            }
            for approval in approvals
        ]
    else:
        items = [
            {
                "code": item.code,
                "name": item.name,
                "department": item.department.name,
                "approval_state": None,
                "approval_state_display": "",
                "due_date": case.due_date,
            }
            for item in case.items.select_related("department").order_by("code")
        ]
    delivery = Delivery.objects.filter(case=case).order_by("-created_at", "-id").first()
    certificates = list(
        Certificate.objects.filter(case=case)
        .select_related("certificate_type")
        .order_by("issued_at", "id")
    )
    situation = case_public_situation(
        state=case.state,
        has_unsigned_certificate=any(
            certificate_is_unsigned(status=certificate.status, pdf_sha256=certificate.pdf_sha256)
            for certificate in certificates
        ),
        last_delivery_status=delivery.status if delivery is not None else None,
    )
    stage = STAGE_OF_SITUATION.get(situation, Stage.RECEIVED)
    return {
        "tracking_no": case.tracking_no,
        "state": case.state,
        "state_display": case.get_state_display(),
        "stage": stage.value,
        "stage_display": str(stage.label),
        "explanation": str(EXPLANATION_OF_SITUATION.get(situation, "")),
        "applicant_masked": case.applicant.masked_name,
        "due_date": case.due_date,
        "items": items,
        "timeline": case_public_timeline(case=case),
        "missing": case_missing_materials(case=case),
        "delivery": (
            {
                "courier": delivery.courier,
                "courier_display": delivery.get_courier_display(),
                "waybill": delivery.waybill,
                "status": delivery.status,
                "status_display": delivery.get_status_display(),
                "delivered_at": delivery.delivered_at,
            }
            if delivery is not None
            else None
        ),
        "certificates": [
            {
                "number": certificate.number,
                "type": certificate.certificate_type.name,
                "status": certificate_effective_status(certificate=certificate),
                "verify_path": reverse(
                    "certificates:verify", args=[certificate.verification_token]
                ),
            }
            for certificate in certificates
        ],
    }
