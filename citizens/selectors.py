"""Reads for citizens: the public tracking view and the applicant's own lists.

Everything here is filtered by the applicant first; nothing reads another
applicant's rows. Lists cost a fixed number of queries whatever their length.
Reading these lists never writes a data-access log entry (that log is for reads
of a department's registry, not for a citizen reading about themselves).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Prefetch, Q, QuerySet, Value
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from cases.constants import (
    ApplicantKind,
    ApprovalState,
    CaseState,
    CertificateStatus,
    DeliveryStatus,
    MaterialStatus,
)
from cases.events import event_label
from cases.models import (
    Applicant,
    Approval,
    Case,
    CaseEvent,
    CaseMaterial,
    Delivery,
    Verification,
)
from cases.services.numbers import TRACKING_ALPHABET, TRACKING_RANDOM_LENGTH
from certificates.models import Certificate
from certificates.selectors import certificate_effective_status
from departments.constants import Audience, LifeEvent
from departments.models import Bundle, BundleItem, MaterialType, ServiceItem
from sharing.models import BatchReadSubject
from sharing.selectors import batch_reads_about

from .constants import (
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
    case produces none). ``tracking._answer_sql`` computes the same key in SQL."""
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


# --- the signed-in applicant's own rows -------------------------------------------------


def applicant_cases(*, applicant: Applicant) -> QuerySet[Case]:
    return (
        Case.objects.filter(applicant=applicant)
        .select_related("rating")
        .prefetch_related(
            Prefetch("items", queryset=ServiceItem.objects.select_related("department"))
        )
        .order_by("-created_at", "-id")
    )


def applicant_case_get(*, applicant: Applicant, tracking_no: str) -> Case | None:
    return (
        Case.objects.select_related("applicant")
        .filter(applicant=applicant, tracking_no=tracking_no_clean(tracking_no))
        .first()
    )


def applicant_certificates(*, applicant: Applicant) -> QuerySet[Certificate]:
    """The wallet: every certificate the applicant holds, newest first."""
    return (
        Certificate.objects.filter(holder=applicant)
        .select_related("certificate_type", "issuing_department", "case")
        .order_by("-issued_at", "-id")
    )


def applicant_certificate_get(*, applicant: Applicant, certificate_id: int) -> Certificate | None:
    return (
        Certificate.objects.select_related("certificate_type")
        .filter(holder=applicant, pk=certificate_id)
        .first()
    )


def _case_reads(applicant: Applicant) -> QuerySet[Verification]:
    return Verification.objects.filter(Q(applicant=applicant) | Q(subject_id=applicant.id_number))


def applicant_data_reads(*, applicant: Applicant) -> QuerySet[Verification]:
    """Who read my data, case by case: every registry read about this applicant (linked to
    them, or about their ID number before they were an applicant), newest first."""
    return (
        _case_reads(applicant)
        .select_related("registry__department", "requesting_department", "case")
        .order_by("-created_at", "-id")
    )


def applicant_batch_reads(*, applicant: Applicant) -> QuerySet[BatchReadSubject]:
    """Who read my data in a batch (a lottery round's check of every applicant): one row
    per registry per purpose, newest first."""
    return batch_reads_about(subject_id=applicant.id_number)


READ_FOR_CASE = "case"
READ_IN_BATCH = "batch"


@dataclass(frozen=True)
class DataRead:
    """One line of "who read my data": a read for a case (``Verification``) or the
    applicant's row of a batch read (``BatchReadSubject``)."""

    source: str
    pk: int
    at: dt.datetime
    requesting_department: str
    registry: str
    registry_department: str
    purpose: str
    outcome: str
    case_tracking_no: str = ""

    @property
    def is_batch(self) -> bool:
        return self.source == READ_IN_BATCH


def applicant_data_read_keys(*, applicant: Applicant) -> QuerySet:
    """``(source, id, created_at)`` of both kinds of reads about the applicant, newest
    first, as one ``UNION ALL``: the database merges and pages them, whatever the count."""
    text = CharField()
    for_cases = (
        _case_reads(applicant)
        .order_by()
        .annotate(source=Value(READ_FOR_CASE, output_field=text))
        .values_list("source", "id", "created_at")
    )
    in_batches = (
        BatchReadSubject.objects.filter(subject_id=applicant.id_number)
        .order_by()
        .annotate(source=Value(READ_IN_BATCH, output_field=text))
        .values_list("source", "id", "created_at")
    )
    return for_cases.union(in_batches, all=True).order_by("-created_at", "source", "-id")


def data_reads_resolve(keys: list[tuple[str, int, dt.datetime]]) -> list[DataRead]:
    """The lines for ``keys`` (one page), in their order: one query per kind present."""
    case_ids = [pk for source, pk, _at in keys if source == READ_FOR_CASE]
    batch_ids = [pk for source, pk, _at in keys if source == READ_IN_BATCH]
    verifications = (
        Verification.objects.select_related(
            "registry__department", "requesting_department", "case"
        ).in_bulk(case_ids)
        if case_ids
        else {}
    )
    batch_rows = (
        BatchReadSubject.objects.select_related(
            "registry__department", "purpose__department"
        ).in_bulk(batch_ids)
        if batch_ids
        else {}
    )
    found_labels = {True: _("查到记录"), False: _("未查到记录")}
    reads = []
    for source, pk, _at in keys:
        if source == READ_FOR_CASE:
            read = verifications[pk]
            reads.append(
                DataRead(
                    source=source,
                    pk=pk,
                    at=read.created_at,
                    requesting_department=read.requesting_department.name,
                    registry=read.registry.name,
                    registry_department=read.registry.department.name,
                    purpose=read.purpose,
                    outcome=str(read.get_outcome_display()),
                    case_tracking_no=read.case.tracking_no if read.case_id else "",
                )
            )
        else:
            row = batch_rows[pk]
            reads.append(
                DataRead(
                    source=source,
                    pk=pk,
                    at=row.created_at,
                    requesting_department=row.purpose.department.name,
                    registry=row.registry.name,
                    registry_department=row.registry.department.name,
                    purpose=row.purpose.purpose,
                    outcome=str(found_labels[row.found]),
                )
            )
    return reads


def applicant_data_reads_page(*, applicant: Applicant, page_number: Any, per_page: int) -> Page:
    """One page of "who read my data": reads for cases and batch reads merged, newest
    first. Three or four queries a page (the count, the page's keys, each kind's rows)."""
    page = Paginator(applicant_data_read_keys(applicant=applicant), per_page).get_page(page_number)
    page.object_list = data_reads_resolve(list(page.object_list))
    return page


# --- apply online: the catalogue as this applicant may use it ------------------------------

# How people and companies look for a service (by their matter, not by department).
LIFE_EVENTS_BY_KIND = {
    ApplicantKind.PERSON: (
        LifeEvent.BIRTH,
        LifeEvent.MARRIAGE,
        LifeEvent.HOUSING,
        LifeEvent.WORK,
    ),
    ApplicantKind.ORGANISATION: (
        LifeEvent.COMPANY_START,
        LifeEvent.COMPANY_CHANGE,
        LifeEvent.COMPANY_CLOSE,
    ),
}


def online_life_events(*, applicant: Applicant) -> list[LifeEvent]:
    return list(LIFE_EVENTS_BY_KIND.get(applicant.kind, ()))


def online_catalogue(
    *, applicant: Applicant, life_event: str = "", query: str = ""
) -> dict[str, Any]:
    """The bundles and items this applicant may apply for online, by life event or search.

    Only what is meant for their kind (person or organisation) or for both; a bundle is
    offered only when every item in it fits too. Three queries whatever the catalogue's size.
    """
    audiences = (applicant.kind, Audience.BOTH)
    bundles = Bundle.objects.filter(audience__in=audiences).prefetch_related(
        Prefetch(
            "bundle_items", queryset=BundleItem.objects.select_related("item").order_by("position")
        )
    )
    items = ServiceItem.objects.filter(is_active=True, audience__in=audiences).select_related(
        "department"
    )
    if life_event:
        bundles = bundles.filter(life_event=life_event)
        items = items.filter(bundles__life_event=life_event)
    query = (query or "").strip()
    if query:
        bundles = bundles.filter(Q(name__icontains=query) | Q(description__icontains=query))
        items = items.filter(Q(name__icontains=query) | Q(department__name__icontains=query))
    bundle_list = [
        bundle
        for bundle in bundles.order_by("code")
        if all(
            bundle_item.item.audience in audiences and bundle_item.item.is_active
            for bundle_item in bundle.bundle_items.all()
        )
    ]
    return {"bundles": bundle_list, "items": list(items.distinct().order_by("code"))}
