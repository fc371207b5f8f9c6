"""Reads with their joins: lists cost a fixed number of queries whatever their length."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from departments.constants import Role
from departments.roles import user_department_id, user_role

from ..constants import ApprovalState, SlaColour
from ..models import Approval, CaseMaterial

# Roles that act for one department and see nothing of the others.
DEPARTMENT_BOUND_ROLES = (Role.REVIEWER, Role.DEPARTMENT_SYSTEM)


def user_confined_department_id(user: Any) -> int | None:
    """The department a user is confined to, or ``None`` when not confined to one.

    Reviewers and department systems see only their own department; superusers,
    supervisors and window staff are not confined (window staff handle every case).
    """
    if user is None or getattr(user, "is_superuser", False):
        return None
    if user_role(user) in DEPARTMENT_BOUND_ROLES:
        return user_department_id(user)
    return None


def approval_decision_rank() -> models.Case:
    """What awaits a decision first, then what waits for the applicant, then the rest."""
    return models.Case(
        When(state=ApprovalState.IN_REVIEW, then=Value(0)),
        When(state=ApprovalState.SUPPLEMENT_REQUESTED, then=Value(1)),
        When(state__in=[ApprovalState.PENDING, ApprovalState.WAITING], then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def approval_sla_rank() -> models.Case:
    """Red before amber before green."""
    return models.Case(
        When(sla_colour=SlaColour.RED, then=Value(0)),
        When(sla_colour=SlaColour.AMBER, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def approval_urgency_ordering() -> list[Any]:
    """Most urgent first: decisions due, red before amber, then the nearest due date."""
    return [
        approval_decision_rank().asc(),
        approval_sla_rank().asc(),
        F("due_date").asc(nulls_last=True),
        "id",
    ]


def approvals_by_urgency(queryset: QuerySet[Approval]) -> QuerySet[Approval]:
    return queryset.order_by(*approval_urgency_ordering())


def approval_queue(
    *, department_id: int | None, states: list[str] | None = None
) -> QuerySet[Approval]:
    """A department's approvals (every department's for ``None``), most urgent first."""
    queryset = Approval.objects.select_related("case", "item", "department")
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    if states:
        queryset = queryset.filter(state__in=states)
    return approvals_by_urgency(queryset)


def materials_required_by_department(department_id: int) -> Q:
    """Case materials that an item of this department in the same case asks for."""
    return Q(
        Exists(
            Approval.objects.filter(
                case_id=OuterRef("case_id"),
                department_id=department_id,
                item__requirements__material_type_id=OuterRef("material_type_id"),
            )
        )
    )


def approval_materials(*, approval: Approval) -> QuerySet[CaseMaterial]:
    """The case's materials that this approval's item asks for, and nothing of the other items."""
    return (
        CaseMaterial.objects.filter(
            case_id=approval.case_id, material_type__requirements__item_id=approval.item_id
        )
        .select_related("material_type", "certificate__certificate_type", "verification__registry")
        .order_by("material_type__requirements__position", "material_type__code", "id")
    )
