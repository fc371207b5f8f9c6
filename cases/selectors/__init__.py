"""Reads of ``cases`` that pages, the API and supervision share (writes live in ``services``).

Lists cost a fixed number of queries whatever their length.
"""

from .approvals import (
    DEPARTMENT_BOUND_ROLES,
    approval_decision_rank,
    approval_materials,
    approval_queue,
    approval_sla_rank,
    approval_urgency_ordering,
    approvals_by_urgency,
    materials_required_by_department,
    user_confined_department_id,
)
from .visits import VISITS_GOAL, VisitReasonCount, VisitSummary, case_visit_summary
from .window import window_case_open_to, window_cases

__all__ = [
    "DEPARTMENT_BOUND_ROLES",
    "VISITS_GOAL",
    "VisitReasonCount",
    "VisitSummary",
    "approval_decision_rank",
    "approval_materials",
    "approval_queue",
    "approval_sla_rank",
    "approval_urgency_ordering",
    "approvals_by_urgency",
    "case_visit_summary",
    "materials_required_by_department",
    "user_confined_department_id",
    "window_case_open_to",
    "window_cases",
]
