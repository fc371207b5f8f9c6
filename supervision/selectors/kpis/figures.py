"""The figures the dashboard shows, whether computed live or summed from the rollups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from cases.constants import ApprovalState, CaseState

DECIDED_STATES = [ApprovalState.APPROVED, ApprovalState.REJECTED]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class DepartmentFigures:
    code: str
    name: str
    decided: int = 0
    decided_on_time: int = 0
    overdue_now: int = 0
    open: int = 0
    median_decision_days: int | None = None
    rating_average: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        return _share(self.decided_on_time, self.decided)


@dataclass
class DashboardFigures:
    cases: int = 0
    closed: int = 0
    closed_at_most_one_visit: int = 0
    closed_zero_visits: int = 0
    requirements: int = 0
    requirements_reused: int = 0
    concluded: int = 0
    concluded_on_time: int = 0
    median_processing_days: int | None = None
    p90_processing_days: int | None = None
    open_by_state: list[tuple[str, str, int]] = field(default_factory=list)
    departments: list[DepartmentFigures] = field(default_factory=list)
    # "live" (computed now) or "rollup" (summed from the figures refreshed at ``as_of``)
    source: str = "live"
    as_of: dt.datetime | None = None

    @property
    def at_most_one_visit_rate(self) -> float | None:
        return _share(self.closed_at_most_one_visit, self.closed)

    @property
    def zero_visit_rate(self) -> float | None:
        return _share(self.closed_zero_visits, self.closed)

    @property
    def reuse_rate(self) -> float | None:
        return _share(self.requirements_reused, self.requirements)

    @property
    def on_time_rate(self) -> float | None:
        return _share(self.concluded_on_time, self.concluded)


def sorted_open_by_state(rows: Iterable[tuple[str, int]]) -> list[tuple[str, str, int]]:
    """``(state, label, count)`` from ``(state, count)`` rows, in the order the states are
    declared, states without a case left out."""
    labels = dict(CaseState.choices)
    order = list(labels)
    return sorted(
        ((state, str(labels.get(state, state)), count) for state, count in rows if count),
        key=lambda entry: order.index(entry[0]) if entry[0] in order else len(order),
    )
