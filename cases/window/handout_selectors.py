"""Reads of the hand-out pages (综合窗口出件), with their joins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import BooleanField, Exists, F, OuterRef, Prefetch, QuerySet, Value, When
from django.db.models import Case as Conditional

from centres.scope import centre_filter

from ..constants import ApprovalState, CaseState, DeliveryStatus
from ..models import Approval, Case, CourierEvent, Delivery

# What the window still has to hand out: a result (approved or issued) or a denial.
TO_HAND_OUT = [CaseState.APPROVED, CaseState.ISSUED, CaseState.DENIED]
# What the clerk can act on from the hand-out page.
RESULT_STATES = [CaseState.APPROVED, CaseState.ISSUED]
DELIVERY_BACK_STATUSES = [DeliveryStatus.FAILED, DeliveryStatus.RETURNED]


def handout_queue(*, user: Any) -> QuerySet[Case]:
    """Cases of the user's part of the network waiting for the window to hand something
    out, most urgent first.

    A parcel that came back (failed or returned delivery) comes first: the
    applicant has already waited once. Then results before denials, the
    earliest promised date first, the oldest decision first.
    """
    came_back = Delivery.objects.filter(case_id=OuterRef("pk"), status__in=DELIVERY_BACK_STATUSES)
    return (
        Case.objects.filter(centre_filter(user), state__in=TO_HAND_OUT)
        .select_related("applicant", "bundle")
        .prefetch_related("items")
        .annotate(
            delivery_came_back=Exists(came_back),
            is_denial=Conditional(
                When(state=CaseState.DENIED, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by(
            F("delivery_came_back").desc(),
            "is_denial",
            F("due_date").asc(nulls_last=True),
            F("concluded_at").asc(nulls_last=True),
            "id",
        )
    )


@dataclass(frozen=True)
class CaseHandout:
    certificates: list[models.Model]  # the certificates app's rows, newest number last
    deliveries: list[Delivery]
    rejections: list[Approval]

    @property
    def last_delivery(self) -> Delivery | None:
        return self.deliveries[0] if self.deliveries else None

    @property
    def delivery_came_back(self) -> bool:
        last = self.last_delivery
        return last is not None and last.status in DELIVERY_BACK_STATUSES


def case_handout(*, case: Case) -> CaseHandout:
    """The case's certificates, parcels (newest first, with courier events) and denials."""
    certificates = list(
        case.certificates.select_related("certificate_type", "issuing_department").order_by(
            "number"
        )
    )
    deliveries = list(
        Delivery.objects.filter(case=case)
        .prefetch_related(
            Prefetch("courier_events", queryset=CourierEvent.objects.order_by("occurred_at", "id"))
        )
        .order_by("-created_at", "-id")
    )
    rejections = list(
        Approval.objects.filter(case=case, state=ApprovalState.REJECTED)
        .select_related("item", "department", "decided_by")
        .order_by("item__code")
    )
    return CaseHandout(certificates=certificates, deliveries=deliveries, rejections=rejections)


def case_certificate(*, case: Case, certificate_id: Any) -> models.Model | None:
    """One certificate of this case (none when it belongs to another case)."""
    return case.certificates.filter(pk=certificate_id).first()
