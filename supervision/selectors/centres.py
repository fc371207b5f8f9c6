"""The network drill-down of the dashboard: the centres one level below the chosen one,
each with the headline figures of its whole part of the network, ranked.

Set-based: from the rollups, one grouped query sums the figures per centre; live, one
grouped query counts the cases per centre of the subtree and one more the closed cases
that needed two visits or more. The rows are summed into the child whose path they fall
under (a county's row holds its towns' and villages' cases). The subtree
has a few hundred centres at most, whatever the number of cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from cases.constants import CASE_FINAL_STATES, CaseState
from cases.models import Visit
from centres.models import Centre

from .kpis import CaseFilters, filtered_cases, rollups_for, rollups_fresh_at


@dataclass
class CentreFigures:
    centre: Centre
    cases: int = 0
    closed: int = 0
    closed_at_most_one_visit: int = 0
    concluded: int = 0
    concluded_on_time: int = 0
    open: int = 0

    @property
    def at_most_one_visit_rate(self) -> float | None:
        return self.closed_at_most_one_visit / self.closed if self.closed else None

    @property
    def on_time_rate(self) -> float | None:
        return self.concluded_on_time / self.concluded if self.concluded else None


def centre_children(centre: Centre | None) -> list[Centre]:
    """The level below ``centre``; below the whole network, the city centre's."""
    if centre is None:
        return list(Centre.objects.filter(parent__parent__isnull=True, parent__isnull=False))
    return list(centre.children.all())


def centre_owner(path: str | None, children: list[Centre]) -> Centre | None:
    """Which of ``children`` the centre at ``path`` lies under (None: none of them)."""
    if path is None:
        return None
    return next((child for child in children if path.startswith(child.path)), None)


def centre_ranking(*, filters: CaseFilters) -> list[CentreFigures]:
    """The children of ``filters.centre`` with their figures, the best on-time rate first
    (then the most cases; a centre without concluded cases last): from the rollups when
    they are fresh, else counted now."""
    children = centre_children(filters.centre)
    if not children:
        return []
    by_pk = {child.pk: CentreFigures(centre=child) for child in children}
    if rollups_fresh_at() is not None:
        _from_rollups(filters, children, by_pk)
    else:
        _live(filters, children, by_pk)
    return sorted(
        by_pk.values(),
        key=lambda figures: (
            figures.on_time_rate is None,
            -(figures.on_time_rate or 0),
            -figures.cases,
            figures.centre.path,
        ),
    )


def _from_rollups(
    filters: CaseFilters, children: list[Centre], by_pk: dict[int, CentreFigures]
) -> None:
    cases, _approvals = rollups_for(filters)
    zero = Value(0)
    rows = (
        cases.values("centre_id")
        .annotate(
            n=Coalesce(Sum("cases"), zero),
            closed=Coalesce(Sum("cases", filter=Q(state=CaseState.CLOSED)), zero),
            open=Coalesce(Sum("cases", filter=~Q(state__in=CASE_FINAL_STATES)), zero),
            le1=Coalesce(Sum("closed_at_most_one_visit"), zero),
            concluded=Coalesce(Sum("cases", filter=Q(is_on_time__isnull=False)), zero),
            on_time=Coalesce(Sum("cases", filter=Q(is_on_time=True)), zero),
        )
        .order_by()
    )
    rows = list(rows)
    paths = dict(
        Centre.objects.filter(pk__in=[row["centre_id"] for row in rows]).values_list("pk", "path")
    )
    for row in rows:
        owner = centre_owner(paths.get(row["centre_id"]), children)
        if owner is None:
            continue
        figures = by_pk[owner.pk]
        figures.cases += row["n"]
        figures.closed += row["closed"]
        figures.open += row["open"]
        figures.closed_at_most_one_visit += row["le1"]
        figures.concluded += row["concluded"]
        figures.concluded_on_time += row["on_time"]


def _live(filters: CaseFilters, children: list[Centre], by_pk: dict[int, CentreFigures]) -> None:
    cases = filtered_cases(filters)
    rows = (
        cases.annotate(concluded_date=TruncDate("concluded_at"))
        .values("centre__path")
        .annotate(
            cases=Count("pk"),
            closed=Count("pk", filter=Q(state=CaseState.CLOSED)),
            open=Count("pk", filter=~Q(state__in=CASE_FINAL_STATES)),
            concluded=Count("pk", filter=Q(concluded_at__isnull=False, due_date__isnull=False)),
            on_time=Count(
                "pk",
                filter=Q(
                    concluded_at__isnull=False,
                    due_date__isnull=False,
                    concluded_date__lte=F("due_date"),
                ),
            ),
        )
        .order_by()
    )
    for row in rows:
        owner = centre_owner(row["centre__path"], children)
        if owner is None:
            continue
        figures = by_pk[owner.pk]
        figures.cases += row["cases"]
        figures.closed += row["closed"]
        figures.open += row["open"]
        figures.concluded += row["concluded"]
        figures.concluded_on_time += row["on_time"]
        figures.closed_at_most_one_visit += row["closed"]
    visits = (
        Visit.objects.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("pk"))
    )
    several = (
        cases.filter(state=CaseState.CLOSED)
        .annotate(visit_count=Subquery(visits.values("n")))
        .filter(visit_count__gte=2)
        .values("centre__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in several:
        owner = centre_owner(row["centre__path"], children)
        if owner is not None:
            by_pk[owner.pk].closed_at_most_one_visit -= row["n"]
