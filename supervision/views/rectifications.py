from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.workdays import working_calendar

from ..access import supervisor_required
from ..constants import RectificationState
from ..selectors.rectifications import ACTIVE, rectification_list, rectifications_of
from ..services.rectification import (
    RectificationError,
    rectification_close,
    rectification_record_callback,
)

PAGE_SIZE = 50


@supervisor_required
def rectification_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", ACTIVE)
    if state not in RectificationState.values and state not in (ACTIVE, "all"):
        state = ACTIVE
    page = Paginator(
        rectification_list(state="" if state == "all" else state, user=request.user), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    today = timezone.localdate()
    calendar = working_calendar()
    for task in page:
        task.is_overdue = task.state != RectificationState.CLOSED and task.due_date < today
        task.working_days_left = (
            calendar.working_days_between(today, task.due_date) if task.due_date >= today else 0
        )
        task.working_days_late = (
            calendar.working_days_between(task.due_date, today) if task.is_overdue else 0
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


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the list with the filter the supervisor was using."""
    query = urlencode({"state": request.POST.get("state", ACTIVE)})
    return redirect(f"{reverse('supervision:rectifications')}?{query}")


@require_POST
@supervisor_required
def rectification_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a call back to the applicant; bad input changes nothing and says why."""
    task = get_object_or_404(rectifications_of(request.user), pk=pk)
    try:
        rectification_record_callback(
            rectification=task,
            actor=request.user,
            note=request.POST.get("note", ""),
            is_applicant_satisfied=request.POST.get("satisfied") == "1",
        )
    except RectificationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("回访已记录。"))
    return _back(request)


@require_POST
@supervisor_required
def rectification_finish(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the task with what was done (only after a call back)."""
    task = get_object_or_404(rectifications_of(request.user), pk=pk)
    try:
        rectification_close(
            rectification=task, actor=request.user, note=request.POST.get("note", "")
        )
    except RectificationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("整改已办结。"))
    return _back(request)
