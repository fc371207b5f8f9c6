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

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cases.constants import (
    APPROVAL_OPEN_STATES,
    CASE_FINAL_STATES,
    MATERIAL_REUSED_STATUSES,
    ApprovalState,
    CaseState,
)
from cases.models import Approval, Case, CaseMaterial, Rating, Visit
from cases.workdays import working_calendar
from centres.models import Centre
from centres.scope import subtree_filter
from departments.models import Department, ServiceItem

DECIDED_STATES = [ApprovalState.APPROVED, ApprovalState.REJECTED]


@dataclass(frozen=True)
class CaseFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department: Department | None = None
    item: ServiceItem | None = None
    channel: str = ""
    # The part of the network: this centre and every centre below it. None, or the city
    # centre, is the whole network.
    centre: Centre | None = None

    @property
    def centre_path(self) -> str | None:
        if self.centre is None or self.centre.parent_id is None:
            return None
        return self.centre.path


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered_cases(filters: CaseFilters) -> QuerySet[Case]:
    cases = Case.objects.order_by()
    if filters.centre_path is not None:
        cases = cases.filter(subtree_filter(filters.centre_path))
    if filters.date_from:
        cases = cases.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        cases = cases.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    through = Case.items.through
    if filters.item is not None:
        # An item and a department: the item must be one of the department's.
        if filters.department is not None and filters.item.department_id != filters.department.pk:
            return cases.none()
        return cases.filter(
            Exists(through.objects.filter(case_id=OuterRef("pk"), serviceitem_id=filters.item.pk))
        )
    if filters.department is not None:
        cases = cases.filter(
            Exists(
                through.objects.filter(
                    case_id=OuterRef("pk"), serviceitem__department_id=filters.department.pk
                )
            )
        )
    return cases


# --- working days over distributions -------------------------------------------------


class WorkdayCounter:
    """Working days between two dates in O(1) after one pass over the span."""

    def __init__(self, dates: Iterable[dt.date]) -> None:
        dates = [day for day in dates if day is not None]
        self.first = min(dates) if dates else timezone.localdate()
        last = max(dates) if dates else self.first
        self.cumulative: list[int] = []
        count = 0
        calendar = working_calendar()
        for offset in range((last - self.first).days + 1):
            if calendar.is_working_day(self.first + dt.timedelta(days=offset)):
                count += 1
            self.cumulative.append(count)

    def between(self, start: dt.date, end: dt.date) -> int:
        """As ``cases.workdays.working_days_between``: after start, up to and including end."""
        if end <= start:
            return 0
        return self.cumulative[(end - self.first).days] - self.cumulative[(start - self.first).days]


def percentile(distribution: dict[int, int], fraction: float) -> int | None:
    """Nearest-rank percentile of ``{value: how many}``."""
    total = sum(distribution.values())
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(distribution):
        seen += distribution[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - rank never exceeds total


def _durations(rows: Iterable[dict[str, Any]], key: str | None = None) -> dict[Any, dict[int, int]]:
    """``{group: {working days: count}}`` from rows ``{start, end, n[, key]}``."""
    rows = list(rows)
    counter = WorkdayCounter([row["start"] for row in rows] + [row["end"] for row in rows])
    result: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        days = counter.between(row["start"], row["end"])
        result[row[key] if key else None][days] += row["n"]
    return result


# --- the figures ---------------------------------------------------------------------


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


def _case_figures(cases: QuerySet[Case], figures: DashboardFigures) -> None:
    annotated = cases.annotate(concluded_date=TruncDate("concluded_at"))
    totals = annotated.aggregate(
        cases=Count("pk"),
        closed=Count("pk", filter=Q(state=CaseState.CLOSED)),
        concluded=Count("pk", filter=Q(concluded_at__isnull=False, due_date__isnull=False)),
        concluded_on_time=Count(
            "pk",
            filter=Q(
                concluded_at__isnull=False,
                due_date__isnull=False,
                concluded_date__lte=F("due_date"),
            ),
        ),
    )
    figures.cases = totals["cases"]
    figures.closed = totals["closed"]
    figures.concluded = totals["concluded"]
    figures.concluded_on_time = totals["concluded_on_time"]

    closed_ids = cases.filter(state=CaseState.CLOSED).values("pk")
    visits = (
        Visit.objects.filter(case_id__in=closed_ids)
        .order_by()
        .values("case_id")
        .annotate(visits=Count("pk"))
        .aggregate(
            with_visits=Count("case_id"),
            with_several=Count("case_id", filter=Q(visits__gte=2)),
        )
    )
    figures.closed_zero_visits = figures.closed - visits["with_visits"]
    figures.closed_at_most_one_visit = figures.closed - visits["with_several"]

    materials = CaseMaterial.objects.filter(case_id__in=cases.values("pk")).aggregate(
        requirements=Count("pk"),
        reused=Count("pk", filter=Q(status__in=MATERIAL_REUSED_STATUSES)),
    )
    figures.requirements = materials["requirements"]
    figures.requirements_reused = materials["reused"]

    processing = (
        cases.filter(accepted_at__isnull=False, concluded_at__isnull=False)
        .annotate(start=TruncDate("accepted_at"), end=TruncDate("concluded_at"))
        .values("start", "end")
        .annotate(n=Count("pk"))
    )
    distribution = _durations(processing).get(None, {})
    figures.median_processing_days = percentile(distribution, 0.5)
    figures.p90_processing_days = percentile(distribution, 0.9)

    figures.open_by_state = _open_by_state(
        (row["state"], row["n"])
        for row in cases.exclude(state__in=CASE_FINAL_STATES)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by("state")
    )


def _department_figures(
    cases: QuerySet[Case], filters: CaseFilters, figures: DashboardFigures
) -> None:
    today = timezone.localdate()
    approvals = Approval.objects.filter(case_id__in=cases.values("pk")).order_by()
    if filters.department is not None:
        approvals = approvals.filter(department_id=filters.department.pk)
    rows = (
        approvals.annotate(decided_date=TruncDate("decided_at"))
        .values("department_id")
        .annotate(
            decided=Count("pk", filter=Q(state__in=DECIDED_STATES)),
            decided_on_time=Count(
                "pk",
                filter=Q(
                    state__in=DECIDED_STATES,
                    due_date__isnull=False,
                    decided_date__lte=F("due_date"),
                ),
            ),
            open=Count("pk", filter=Q(state__in=APPROVAL_OPEN_STATES)),
            overdue_now=Count("pk", filter=Q(state__in=APPROVAL_OPEN_STATES, due_date__lt=today)),
        )
    )
    rows = list(rows)
    departments = {
        pk: (code, name)
        for pk, code, name in Department.objects.filter(
            pk__in=[row["department_id"] for row in rows]
        ).values_list("pk", "code", "name")
    }
    by_department = {
        row["department_id"]: DepartmentFigures(
            code=departments[row["department_id"]][0],
            name=departments[row["department_id"]][1],
            decided=row["decided"],
            decided_on_time=row["decided_on_time"],
            overdue_now=row["overdue_now"],
            open=row["open"],
        )
        for row in rows
    }
    durations = (
        approvals.filter(state__in=DECIDED_STATES, decided_at__isnull=False)
        .annotate(
            start=TruncDate(Coalesce("started_at", "created_at")), end=TruncDate("decided_at")
        )
        .values("department_id", "start", "end")
        .annotate(n=Count("pk"))
    )
    for department_id, distribution in _durations(durations, key="department_id").items():
        by_department[department_id].median_decision_days = percentile(distribution, 0.5)
    ratings = (
        Rating.objects.filter(case_id__in=cases.values("pk"))
        .filter(case__approvals__in=approvals)
        .values("case__approvals__department_id")
        .annotate(average=Avg("level"))
        .order_by()
    )
    for row in ratings:
        department_figures = by_department.get(row["case__approvals__department_id"])
        if department_figures is not None:
            department_figures.rating_average = row["average"]
    figures.departments = sorted(by_department.values(), key=lambda d: (len(d.code), d.code))


def _open_by_state(rows: Iterable[tuple[str, int]]) -> list[tuple[str, str, int]]:
    labels = dict(CaseState.choices)
    order = list(labels)
    return sorted(
        ((state, str(labels.get(state, state)), count) for state, count in rows if count),
        key=lambda entry: order.index(entry[0]) if entry[0] in order else len(order),
    )


def dashboard_figures_live(*, filters: CaseFilters) -> DashboardFigures:
    """Every figure, computed now from the cases (fine up to some hundred thousand)."""
    figures = DashboardFigures(source="live", as_of=timezone.now())
    cases = filtered_cases(filters)
    _case_figures(cases, figures)
    _department_figures(cases, filters, figures)
    return figures


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
    from ..models import (
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
    figures.open_by_state = _open_by_state(
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


def dashboard_figures(*, filters: CaseFilters) -> DashboardFigures:
    """Every figure of the supervision dashboard for the selected cases: from the
    rollups when they are fresh, else computed now."""
    refreshed_at = rollups_fresh_at()
    if refreshed_at is not None:
        return dashboard_figures_from_rollup(filters=filters, as_of=refreshed_at)
    return dashboard_figures_live(filters=filters)


def rollups_fresh_at() -> dt.datetime | None:
    """When the rollups were rebuilt, if recently enough to show (else None: compute live)."""
    from ..models import FigureRefresh

    refreshed_at = (
        FigureRefresh.objects.filter(name="dashboard")
        .values_list("refreshed_at", flat=True)
        .first()
    )
    max_age = dt.timedelta(seconds=getattr(settings, "SUPERVISION_FIGURES_MAX_AGE", 900))
    if refreshed_at is not None and timezone.now() - refreshed_at <= max_age:
        return refreshed_at
    return None
