"""/window/appointments/: a clerk or village agent books a slot for the person in front
of them (found or registered by ID number), sees the person's no-show count, and lists
the day's appointments of their centre or of a centre below it. A centre outside their
part of the network answers 404, as one that does not exist."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.models import Applicant
from centres.models import Centre
from centres.scope import user_centre
from departments.constants import Role
from departments.identifiers import normalise_identifier
from departments.roles import has_role, is_village_agent

from ..constants import AppointmentChannel
from ..exceptions import AppointmentError
from ..forms import WindowBookForm
from ..selectors import (
    applicant_no_show_count,
    centre_day_appointments,
    window_centre_get,
    window_centres,
)
from ..services.booking import appointment_book_for
from .picker import picker_build
from .portal import slot_target

View = Callable[..., HttpResponse]


def window_staff_required(view: View) -> View:
    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, Role.CLERK, Role.AGENT):
            raise PermissionDenied(_("只有窗口人员或代办员可以代为预约。"))
        return view(request, *args, **kwargs)

    return wrapped


def _listed_centre(request: HttpRequest) -> Centre:
    """The centre whose day is listed: ``?centre=`` if in scope (else 404), else the
    user's own, else the first they may see."""
    code = request.GET.get("centre", "")
    if code:
        centre = window_centre_get(user=request.user, code=code)
        if centre is None:
            raise Http404(_("未找到该服务中心。"))
        return centre
    own = user_centre(request.user)
    centre = own or window_centres(user=request.user).first()
    if centre is None:
        raise Http404(_("还没有服务中心。"))
    return centre


def _looked_up(data: Any) -> tuple[Applicant | None, int]:
    """The person whose ID number the form names, if already registered, and their
    no-show count: shown to the clerk before and after booking."""
    number = normalise_identifier(data.get("id_number", "") or "")
    if not number:
        return None, 0
    applicant = Applicant.objects.filter(
        id_type=data.get("id_type") or "resident_id", id_number=number
    ).first()
    return applicant, applicant_no_show_count(applicant=applicant) if applicant else 0


def _page(
    request: HttpRequest, centre: Centre, form: WindowBookForm, status: int = 200
) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    person, no_shows = _looked_up(data)
    return render(
        request,
        "appointments/window.html",
        {
            "centre": centre,
            "centres": list(window_centres(user=request.user)),
            "picker": picker_build(
                data=data, centres=window_centres(user=request.user), default=centre
            ),
            "form": form,
            "person": person,
            "person_no_shows": no_shows,
            "today": timezone.localdate(),
            "appointments": centre_day_appointments(centre=centre, day=timezone.localdate()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@window_staff_required
def window_appointments(request: HttpRequest) -> HttpResponse:
    centre = _listed_centre(request)
    if request.method == "GET":
        return _page(request, centre, WindowBookForm(initial=request.GET))
    form = WindowBookForm(request.POST)
    if not form.is_valid():
        return _page(request, centre, form, status=400)
    data = form.cleaned_data
    try:
        target_centre, queue = slot_target(form, window_centres(user=request.user))
        appointment = appointment_book_for(
            id_type=data["id_type"],
            id_number=data["id_number"],
            name=data["name"],
            phone=data["phone"],
            centre=target_centre,
            queue=queue,
            day=data["day"],
            start=data["start"],
            booked_by=request.user,
            channel=AppointmentChannel.AGENT
            if is_village_agent(request.user)
            else AppointmentChannel.WINDOW,
        )
    except AppointmentError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return _page(request, centre, form, status=400)
    messages.success(
        request,
        _(
            "已预约：预约号 %(number)s，%(queue)s，%(day)s %(start)s。该申请人累计爽约 %(no_shows)d 次。"
        )
        % {
            "number": appointment.number,
            "queue": queue.name,
            "day": appointment.day.isoformat(),
            "start": f"{appointment.start:%H:%M}",
            "no_shows": applicant_no_show_count(applicant=appointment.applicant),
        },
    )
    return redirect(f"{request.path}?centre={target_centre.code}")
