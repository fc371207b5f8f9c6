"""Reads: what each open case of a person needs from them now (the /me/ home's block).

A fixed number of queries whatever the number of cases: the cases with their items,
the approvals waiting for a supplement, the latest one-time notice of the cases
waiting for materials, the active deliveries and the ratings given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.constants import DELIVERY_ACTIVE_STATUSES, ApprovalState, CaseState
from cases.models import Applicant, Approval, Case, CaseEvent, Delivery
from departments.models import MaterialType, ServiceItem

from .services.events import LIST_SEPARATOR, supplement_deadline


@dataclass(frozen=True)
class NextStep:
    """One thing to do, in words, with where to do it and by when (if there is a limit)."""

    text: str
    url: str = ""
    due: dt.date | None = None
    is_action: bool = True


@dataclass
class CaseNextSteps:
    case: Case
    item_names: str
    steps: list[NextStep] = field(default_factory=list)


def _open_cases(applicant: Applicant, cases: list[Case] | None) -> list[Case]:
    """Open cases, and closed ones still waiting for a rating. ``cases``: the applicant's
    cases already read by the page (with ``rating`` and ``items``), to read them once."""
    if cases is None:
        cases = list(
            Case.objects.filter(applicant=applicant)
            .exclude(state__in=[CaseState.REFUSED, CaseState.WITHDRAWN])
            .select_related("rating")
            .prefetch_related(
                Prefetch("items", queryset=ServiceItem.objects.only("id", "code", "name"))
            )
            .order_by("-created_at", "-id")
        )
    return [
        case
        for case in cases
        if case.state not in (CaseState.REFUSED, CaseState.WITHDRAWN)
        and not (case.state == CaseState.CLOSED and hasattr(case, "rating"))
    ]


def _supplements(case_ids: list[int]) -> dict[int, list[Approval]]:
    found: dict[int, list[Approval]] = {}
    approvals = Approval.objects.filter(
        case_id__in=case_ids, state=ApprovalState.SUPPLEMENT_REQUESTED
    ).select_related("item")
    for approval in approvals.order_by("id"):
        found.setdefault(approval.case_id, []).append(approval)
    return found


def _notices(case_ids: list[int]) -> dict[int, CaseEvent]:
    """The latest one-time notice of each case (the one still to be answered)."""
    notices: dict[int, CaseEvent] = {}
    if not case_ids:
        return notices
    for event in CaseEvent.objects.filter(case_id__in=case_ids, name="request_materials").order_by(
        "created_at", "id"
    ):
        notices[event.case_id] = event
    return notices


def _material_names(supplements: dict[int, list[Approval]], notices: dict[int, CaseEvent]) -> dict:
    codes = {
        c for approvals in supplements.values() for a in approvals for c in a.supplement_materials
    }
    codes |= {c for event in notices.values() for c in event.data.get("missing", [])}
    if not codes:
        return {}
    return dict(MaterialType.objects.filter(code__in=codes).values_list("code", "name"))


def _steps_for(
    case: Case,
    *,
    supplements: list[Approval],
    notice: CaseEvent | None,
    delivery: Delivery | None,
    names: dict[str, str],
) -> list[NextStep]:
    case_url = reverse("citizens:me_case", args=[case.tracking_no])
    state = case.state
    if state == CaseState.DRAFT:
        return [
            NextStep(
                _("完成网上申请并提交"), reverse("citizens:apply_case", args=[case.tracking_no])
            )
        ]
    if state == CaseState.PENDING_MATERIALS:
        codes = notice.data.get("missing", []) if notice else []
        entries = notice.data.get("entries", []) if notice else []
        materials = [e.get("name", "") for e in entries] or [names.get(c, c) for c in codes]
        return [
            NextStep(
                _("补齐材料：%(materials)s") % {"materials": LIST_SEPARATOR.join(materials)},
                case_url,
            )
        ]
    if state == CaseState.SUSPENDED or supplements:
        return [
            NextStep(
                _("为「%(item)s」上传补正材料：%(materials)s")
                % {
                    "item": approval.item.name,
                    "materials": LIST_SEPARATOR.join(
                        names.get(c, c) for c in approval.supplement_materials
                    ),
                },
                case_url,
                due=supplement_deadline(approval.suspended_at) if approval.suspended_at else None,
            )
            for approval in supplements
        ]
    if state == CaseState.ISSUED:
        return [NextStep(_("到受理窗口领取结果，或等待寄递"), case_url)]
    if state == CaseState.IN_DELIVERY:
        waybill = delivery.waybill if delivery else ""
        return [
            NextStep(
                _("留意快递签收，运单号 %(waybill)s") % {"waybill": waybill},
                case_url,
                is_action=False,
            )
        ]
    if state == CaseState.DENIED:
        return [NextStep(_("查看不予许可的理由"), case_url)]
    if state == CaseState.CLOSED:
        return [NextStep(_("为本次办理评价"), case_url)]
    return [NextStep(_("无需操作，正在办理，可随时查看进度"), case_url, is_action=False)]


def next_steps(applicant: Applicant, *, cases: list[Case] | None = None) -> list[CaseNextSteps]:
    """Per open case of ``applicant``: what they must do now (upload X by Y, collect at
    the window, rate...), or that they need do nothing but wait. Each further read is
    made only when a case needs it: none at all for cases that are simply in review."""
    cases = _open_cases(applicant, cases)
    if not cases:
        return []
    states = {case.state for case in cases}
    suspended = [case.pk for case in cases if case.state == CaseState.SUSPENDED]
    supplements = _supplements(suspended) if suspended else {}
    notices = _notices([c.pk for c in cases if c.state == CaseState.PENDING_MATERIALS])
    deliveries = {}
    if CaseState.IN_DELIVERY in states:
        deliveries = {
            delivery.case_id: delivery
            for delivery in Delivery.objects.filter(
                case_id__in=[c.pk for c in cases if c.state == CaseState.IN_DELIVERY],
                status__in=DELIVERY_ACTIVE_STATUSES,
            ).only("id", "case_id", "waybill")
        }
    names = _material_names(supplements, notices)
    return [
        CaseNextSteps(
            case=case,
            item_names=LIST_SEPARATOR.join(item.name for item in case.items.all()),
            steps=_steps_for(
                case,
                supplements=supplements.get(case.pk, []),
                notice=notices.get(case.pk),
                delivery=deliveries.get(case.pk),
                names=names,
            ),
        )
        for case in cases
    ]
