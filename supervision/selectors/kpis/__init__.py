"""The supervisor's figures, each one aggregate query (or a few), fast at a million cases.

No loop runs over cases in Python: the database counts; durations come back as
a distribution (start date, end date, number of cases) grouped in SQL, which is
at most a few thousand rows whatever the number of cases, and working days are
counted per distinct pair with the Chinese calendar (``cases/workdays.py``).

Definitions (all over the cases the filters select; the date range is on the
case's creation date):
- closed with at most one visit / with zero visits: among cases in state CLOSED;
- material reuse rate: case requirements met by a certificate, a registry
  check, an earlier material or another item of the case, over all requirements;
- on-time rate: among concluded cases (a decision exists), those concluded on or
  before their promised date;
- processing time: working days from acceptance to conclusion (median and p90,
  nearest rank);
- per department, on its approvals of those cases: decided (approved or
  rejected), on time (decided on or before the due date), overdue now (open and
  past the due date), median decision time (working days from the start of the
  approval to the decision), average rating of the cases it took part in.
"""

from __future__ import annotations

from .distributions import WorkdayCounter, percentile
from .figures import DECIDED_STATES, DashboardFigures, DepartmentFigures
from .filters import CaseFilters, filtered_cases
from .live import dashboard_figures_live
from .rollup import dashboard_figures_from_rollup, rollups_for, rollups_fresh_at

__all__ = [
    "DECIDED_STATES",
    "CaseFilters",
    "DashboardFigures",
    "DepartmentFigures",
    "WorkdayCounter",
    "dashboard_figures",
    "dashboard_figures_from_rollup",
    "dashboard_figures_live",
    "filtered_cases",
    "percentile",
    "rollups_for",
    "rollups_fresh_at",
]


def dashboard_figures(*, filters: CaseFilters) -> DashboardFigures:
    """Every figure of the supervision dashboard for the selected cases: from the
    rollups when they are fresh, else computed now."""
    refreshed_at = rollups_fresh_at()
    if refreshed_at is not None:
        return dashboard_figures_from_rollup(filters=filters, as_of=refreshed_at)
    return dashboard_figures_live(filters=filters)
