"""Reads of ``cases`` that pages, the API and supervision share (writes live in ``services``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..constants import VisitReason
from ..models import Case, Visit

# "Run at most once" (最多跑一次): the goal for every case.
VISITS_GOAL = 1


@dataclass(frozen=True)
class VisitReasonCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class VisitSummary:
    """How many times the applicant came in person for a case, and why."""

    count: int
    reasons: list[VisitReasonCount]
    visits: list[Visit]

    @property
    def is_within_goal(self) -> bool:
        return self.count <= VISITS_GOAL


def case_visit_summary(*, case: Case) -> VisitSummary:
    """The case's visits in person, one query: the count, the count per reason, the rows.

    Reasons are listed in the order they first happened; an online case whose
    result went by courier has none.
    """
    visits = list(
        Visit.objects.filter(case=case).select_related("clerk").order_by("created_at", "id")
    )
    counts = Counter(visit.reason for visit in visits)
    seen: list[str] = []
    for visit in visits:
        if visit.reason not in seen:
            seen.append(visit.reason)
    labels = dict(VisitReason.choices)
    return VisitSummary(
        count=len(visits),
        reasons=[
            VisitReasonCount(
                reason=reason, label=str(labels.get(reason, reason)), count=counts[reason]
            )
            for reason in seen
        ],
        visits=visits,
    )
