"""The figures summed from the rollups (``services/figures.py``), and whether the
rollups are fresh enough to show."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.constants import APPROVAL_OPEN_STATES, CASE_FINAL_STATES, CaseState
from centres.models import Centre
from centres.scope import subtree_filter
from departments.models import Department

from .distributions import percentile
from .figures import DECIDED_STATES, DashboardFigures, DepartmentFigures, sorted_open_by_state
from .filters import CaseFilters


def _rollup_filter(queryset: QuerySet, filters: CaseFilters) -> QuerySet:
    if filters.centre_path is not None:
        queryset = queryset.filter(
            centre_id__in=Centre.objects.filter(subtree_filter(filters.centre_path, "")).values(
                "pk"
            )
        )
    if filters.date_from:
        queryset = queryset.filter(day__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(day__lte=filters.date_to)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    return queryset


def rollups_for(filters: CaseFilters) -> tuple[QuerySet, QuerySet]:
    """The case and approval rollup rows the filters select: by item, the tables that
    count a case once per item; by department, once per department (and its approvals);
    else every case and approval once."""
    from ...models import (
        ApprovalFigureRollup,
        ApprovalItemFigureRollup,
        CaseDepartmentFigureRollup,
        CaseFigureRollup,
        CaseItemFigureRollup,
    )

    if filters.item is not None:
        cases = CaseItemFigureRollup.objects.filter(item_id=filters.item.pk)
        approvals = ApprovalItemFigureRollup.objects.filter(case_item_id=filters.item.pk)
        if filters.department is not None:
            cases = cases.filter(department_id=filters.department.pk)
            approvals = approvals.filter(department_id=filters.department.pk)
    elif filters.department is not None:
        cases = CaseDepartmentFigureRollup.objects.filter(department_id=filters.department.pk)
        approvals = ApprovalFigureRollup.objects.filter(department_id=filters.department.pk)
    else:
        cases, approvals = CaseFigureRollup.objects.all(), ApprovalFigureRollup.objects.all()
    return (
        _rollup_filter(cases.order_by(), filters),
        _rollup_filter(approvals.order_by(), filters),
    )


def dashboard_figures_from_rollup(*, filters: CaseFilters, as_of: dt.datetime) -> DashboardFigures:
    """The same figures summed from the rollups (``services/figures.py``): a few
    tens of thousands of rows whatever the number of cases, for every filter."""
    figures = DashboardFigures(source="rollup", as_of=as_of)
    cases, approvals = rollups_for(filters)
    zero = Value(0)
    totals = cases.aggregate(
        total=Coalesce(Sum("cases"), zero),
        closed=Coalesce(Sum("cases", filter=Q(state=CaseState.CLOSED)), zero),
        le1=Coalesce(Sum("closed_at_most_one_visit"), zero),
        zero_visits=Coalesce(Sum("closed_zero_visits"), zero),
        required=Coalesce(Sum("requirements"), zero),
        reused=Coalesce(Sum("requirements_reused"), zero),
        concluded=Coalesce(Sum("cases", filter=Q(is_on_time__isnull=False)), zero),
        on_time=Coalesce(Sum("cases", filter=Q(is_on_time=True)), zero),
    )
    figures.cases = totals["total"]
    figures.closed = totals["closed"]
    figures.closed_at_most_one_visit = totals["le1"]
    figures.closed_zero_visits = totals["zero_visits"]
    figures.requirements = totals["required"]
    figures.requirements_reused = totals["reused"]
    figures.concluded = totals["concluded"]
    figures.concluded_on_time = totals["on_time"]
    distribution = {
        row["processing_days"]: row["n"]
        for row in cases.filter(processing_days__isnull=False)
        .values("processing_days")
        .annotate(n=Sum("cases"))
    }
    figures.median_processing_days = percentile(distribution, 0.5)
    figures.p90_processing_days = percentile(distribution, 0.9)
    figures.open_by_state = sorted_open_by_state(
        (row["state"], row["n"])
        for row in cases.exclude(state__in=CASE_FINAL_STATES)
        .values("state")
        .annotate(n=Sum("cases"))
    )

    rows = list(
        approvals.values("department_id").annotate(
            decided=Coalesce(Sum("approvals", filter=Q(state__in=DECIDED_STATES)), zero),
            on_time=Coalesce(Sum("approvals", filter=Q(is_on_time=True)), zero),
            open=Coalesce(Sum("approvals", filter=Q(state__in=APPROVAL_OPEN_STATES)), zero),
            overdue=Coalesce(Sum("approvals", filter=Q(is_overdue=True)), zero),
            ratings_total=Coalesce(Sum("rating_sum"), zero),
            ratings=Coalesce(Sum("rating_count"), zero),
        )
    )
    names = {
        pk: (code, name)
        for pk, code, name in Department.objects.filter(
            pk__in=[row["department_id"] for row in rows]
        ).values_list("pk", "code", "name")
    }
    by_department = {
        row["department_id"]: DepartmentFigures(
            code=names[row["department_id"]][0],
            name=names[row["department_id"]][1],
            decided=row["decided"],
            decided_on_time=row["on_time"],
            overdue_now=row["overdue"],
            open=row["open"],
            rating_average=(row["ratings_total"] / row["ratings"] if row["ratings"] else None),
        )
        for row in rows
        if row["department_id"] in names
    }
    decision_days: dict[int, dict[int, int]] = defaultdict(dict)
    for row in (
        approvals.filter(decision_days__isnull=False)
        .values("department_id", "decision_days")
        .annotate(n=Sum("approvals"))
    ):
        decision_days[row["department_id"]][max(row["decision_days"], 0)] = (
            decision_days[row["department_id"]].get(max(row["decision_days"], 0), 0) + row["n"]
        )
    for department_id, distribution in decision_days.items():
        if department_id in by_department:
            by_department[department_id].median_decision_days = percentile(distribution, 0.5)
    figures.departments = sorted(by_department.values(), key=lambda d: (len(d.code), d.code))
    return figures


def rollups_fresh_at() -> dt.datetime | None:
    """When the rollups were rebuilt, if recently enough to show (else None: compute live)."""
    from ...models import FigureRefresh

    refreshed_at = (
        FigureRefresh.objects.filter(name="dashboard")
        .values_list("refreshed_at", flat=True)
        .first()
    )
    max_age = dt.timedelta(seconds=getattr(settings, "SUPERVISION_FIGURES_MAX_AGE", 900))
    if refreshed_at is not None and timezone.now() - refreshed_at <= max_age:
        return refreshed_at
    return None
