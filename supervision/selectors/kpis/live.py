"""The figures computed now from the cases: a few aggregate queries, fine up to some
hundred thousand cases."""

from __future__ import annotations

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cases.constants import (
    APPROVAL_OPEN_STATES,
    CASE_FINAL_STATES,
    MATERIAL_REUSED_STATUSES,
    CaseState,
)
from cases.models import Approval, Case, CaseMaterial, Rating, Visit
from departments.models import Department

from .distributions import percentile, working_day_distributions
from .figures import DECIDED_STATES, DashboardFigures, DepartmentFigures, sorted_open_by_state
from .filters import CaseFilters, filtered_cases


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
    distribution = working_day_distributions(processing).get(None, {})
    figures.median_processing_days = percentile(distribution, 0.5)
    figures.p90_processing_days = percentile(distribution, 0.9)

    figures.open_by_state = sorted_open_by_state(
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
    for department_id, distribution in working_day_distributions(
        durations, key="department_id"
    ).items():
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


def dashboard_figures_live(*, filters: CaseFilters) -> DashboardFigures:
    """Every figure, computed now from the cases (fine up to some hundred thousand)."""
    figures = DashboardFigures(source="live", as_of=timezone.now())
    cases = filtered_cases(filters)
    _case_figures(cases, figures)
    _department_figures(cases, filters, figures)
    return figures
