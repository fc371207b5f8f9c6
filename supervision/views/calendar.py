"""/supervision/calendar/: enter or import a year's announced holidays (节假日安排)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.services.calendar import (
    CalendarEntryError,
    calendar_entries_parse,
    working_calendar_year_set,
)
from departments.models import WorkingCalendarDay

from ..access import supervisor_required
from ..forms import WorkingCalendarYearForm
from ..selectors.calendar import calendar_horizon, calendar_years


@supervisor_required
@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    form = WorkingCalendarYearForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = working_calendar_year_set(
                year=data["year"],
                entries=calendar_entries_parse(text=data["entries"]),
                source=data["source"],
                actor=request.user,
            )
        except CalendarEntryError as error:
            form.add_error("entries", str(error))
        else:
            messages.success(
                request,
                _(
                    "%(year)s 年节假日安排已保存；%(cases)s 件办件、%(approvals)s 项审批的"
                    "承诺办结日期已按新安排重新计算。"
                )
                % {
                    "year": result.year,
                    "cases": result.cases_moved,
                    "approvals": result.approvals_moved,
                },
            )
            return redirect("supervision:calendar")
    status = 400 if form.errors else 200
    return render(
        request,
        "supervision/calendar.html",
        {
            "form": form,
            "years": calendar_years(),
            "days": WorkingCalendarDay.objects.all(),
            "horizon": calendar_horizon(),
        },
        status=status,
    )
