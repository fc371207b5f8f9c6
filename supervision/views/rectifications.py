from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.workdays import working_days_between

from ..access import supervisor_required
from ..constants import RectificationState
from ..selectors.rectifications import ACTIVE, rectification_list

PAGE_SIZE = 50


@supervisor_required
def rectification_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", ACTIVE)
    if state not in RectificationState.values and state not in (ACTIVE, "all"):
        state = ACTIVE
    page = Paginator(rectification_list(state="" if state == "all" else state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    for task in page:
        task.is_overdue = task.state != RectificationState.CLOSED and task.due_date < today
        task.working_days_left = (
            working_days_between(today, task.due_date) if task.due_date >= today else 0
        )
        task.working_days_late = (
            working_days_between(task.due_date, today) if task.is_overdue else 0
        )
    return render(
        request,
        "supervision/rectifications.html",
        {
            "page": page,
            "state": state,
            "states": [(ACTIVE, _("未办结")), *RectificationState.choices],
        },
    )
