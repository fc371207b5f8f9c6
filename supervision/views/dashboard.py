from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from centres.scope import user_centre

from ..access import supervisor_required
from ..charts import Bar, bar_chart_svg
from ..forms import DashboardFilterForm
from ..selectors.alerts import (
    alert_window,
    approvals_late_or_amber,
    irregular_events,
    late_decisions_by_reviewer,
    late_or_amber_by_department,
)
from ..selectors.calendar import calendar_horizon
from ..selectors.centres import centre_children, centre_ranking
from ..selectors.hall import hall_figures
from ..selectors.kpis import CaseFilters, dashboard_figures


def _filters(form: DashboardFilterForm, user: Any) -> CaseFilters:
    """The filters chosen, always inside the supervisor's part of the network: without a
    valid choice, their own centre (a county supervisor never sees the city's figures)."""
    own = user_centre(user)
    if not form.is_valid():
        return CaseFilters(centre=own)
    data = form.cleaned_data
    return CaseFilters(
        date_from=data["date_from"],
        date_to=data["date_to"],
        department=data["department"],
        item=data["item"],
        channel=data["channel"] or "",
        centre=data["centre"] or own,
    )


def _drill_query(request: HttpRequest) -> str:
    """The other filters, kept when drilling down to a centre."""
    query = request.GET.copy()
    query.pop("centre", None)
    return query.urlencode()


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@supervisor_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = _filters(form, request.user)
    figures = dashboard_figures(filters=filters)
    state_chart = bar_chart_svg(
        [Bar(label=label, value=count, text=str(count)) for _state, label, count in figures.open_by_state],
        title=_("在办办件（按状态）"),
    )  # fmt: skip
    on_time_chart = bar_chart_svg(
        [
            Bar(
                label=f"{department.code} {department.name}",
                value=department.on_time_rate or 0,
                text=_percent(department.on_time_rate),
            )
            for department in figures.departments
        ],
        title=_("各部门按时办结率"),
    )
    headline_chart = bar_chart_svg(
        [
            Bar(label=_("最多跑一次"), value=figures.at_most_one_visit_rate or 0,
                text=_percent(figures.at_most_one_visit_rate)),
            Bar(label=_("零跑腿"), value=figures.zero_visit_rate or 0,
                text=_percent(figures.zero_visit_rate)),
            Bar(label=_("材料复用率"), value=figures.reuse_rate or 0,
                text=_percent(figures.reuse_rate)),
            Bar(label=_("按时办结率"), value=figures.on_time_rate or 0,
                text=_percent(figures.on_time_rate)),
        ],
        title=_("改革主要指标"),
    )  # fmt: skip
    hall = hall_figures(
        centre_path=filters.centre_path,
        date_from=filters.date_from,
        date_to=filters.date_to,
        children=centre_children(filters.centre),
    )
    hall_hours_chart = bar_chart_svg(
        [
            Bar(label=f"{hour:02d}:00", value=count, text=str(count))
            for hour, count in hall.per_hour
        ],
        title=_("每小时取号量"),
    )
    hall_service_chart = bar_chart_svg(
        [
            Bar(
                label=f"{queue.code} {queue.name}",
                value=queue.average_service_minutes or 0,
                text=_minutes(queue.average_service_minutes),
            )
            for queue in hall.queues
        ],
        title=_("各队列平均办理时长（分钟）"),
    )
    return render(
        request,
        "supervision/dashboard.html",
        {
            "form": form,
            "figures": figures,
            "state_chart": state_chart,
            "on_time_chart": on_time_chart,
            "headline_chart": headline_chart,
            "calendar_horizon": calendar_horizon(),
            "centre": filters.centre,
            "ranking": centre_ranking(filters=filters),
            "hall": hall,
            "hall_hours_chart": hall_hours_chart,
            "hall_service_chart": hall_service_chart,
            "drill_query": _drill_query(request),
        },
    )


@supervisor_required
def alerts_page(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = _filters(form, request.user)
    start, end = alert_window(filters.date_from, filters.date_to)
    scope = filters.centre_path
    late, late_total = approvals_late_or_amber(department=filters.department, centre_path=scope)
    return render(
        request,
        "supervision/alerts.html",
        {
            "form": form,
            "late": late,
            "late_total": late_total,
            "by_department": late_or_amber_by_department(centre_path=scope),
            "by_reviewer": late_decisions_by_reviewer(
                date_from=start, date_to=end, centre_path=scope
            ),
            "irregular": irregular_events(date_from=start, date_to=end, centre_path=scope),
            "window_start": start,
            "window_end": end,
        },
    )
