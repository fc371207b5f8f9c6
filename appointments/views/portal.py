"""/me/appointments/: the signed-in citizen sees their appointments, books a slot at any
active centre, and cancels one before its slot starts. Someone else's appointment
answers as one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Applicant
from centres.models import Centre, Queue
from citizens.session import citizen_required

from ..exceptions import AppointmentError
from ..forms import SlotForm
from ..selectors import (
    applicant_appointment_get,
    applicant_appointments,
    applicant_no_show_count,
    bookable_centres,
)
from ..services.booking import appointment_book, appointment_cancel
from .picker import picker_build


def _page(
    request: HttpRequest, applicant: Applicant, *, form: SlotForm | None = None, status: int = 200
) -> HttpResponse:
    data = request.POST if form is not None else request.GET
    return render(
        request,
        "appointments/me.html",
        {
            "applicant": applicant,
            "appointments": list(applicant_appointments(applicant=applicant)[:50]),
            "no_shows": applicant_no_show_count(applicant=applicant),
            "picker": picker_build(data=data, centres=bookable_centres()),
            "form": form,
            "active": "appointments",
        },
        status=status,
    )


def slot_target(form: SlotForm, centres) -> tuple[Centre, Queue]:  # type: ignore[no-untyped-def]
    """The centre and queue the form's codes name among ``centres``, or the refusal."""
    centre = centres.filter(code=form.cleaned_data["centre"]).first()
    if centre is None:
        raise AppointmentError(_("没有这个服务中心，或它不接受预约。"), field="centre")
    queue = Queue.objects.filter(centre=centre, code=form.cleaned_data["queue"]).first()
    if queue is None:
        raise AppointmentError(
            _("%(centre)s 没有这个队列。") % {"centre": centre.name}, field="queue"
        )
    return centre, queue


@require_http_methods(["GET", "POST"])
@citizen_required
def me_appointments(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    if request.method == "GET":
        return _page(request, applicant)
    form = SlotForm(request.POST)
    if not form.is_valid():
        return _page(request, applicant, form=form, status=400)
    try:
        centre, queue = slot_target(form, bookable_centres())
        appointment = appointment_book(
            applicant=applicant,
            centre=centre,
            queue=queue,
            day=form.cleaned_data["day"],
            start=form.cleaned_data["start"],
        )
    except AppointmentError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return _page(request, applicant, form=form, status=400)
    messages.success(
        request,
        _(
            "预约成功：预约号 %(number)s，%(centre)s %(queue)s，%(day)s %(start)s–%(end)s。请在时段开始前 30 分钟至开始后 15 分钟内到大厅取号机签到。"
        )
        % {
            "number": appointment.number,
            "centre": centre.name,
            "queue": queue.name,
            "day": appointment.day.isoformat(),
            "start": f"{appointment.start:%H:%M}",
            "end": f"{appointment.end:%H:%M}",
        },
    )
    return redirect("appointments:me")


@require_POST
@citizen_required
def me_appointment_cancel(
    request: HttpRequest, number: str, *, applicant: Applicant
) -> HttpResponse:
    appointment = applicant_appointment_get(applicant=applicant, number=number)
    if appointment is None:
        raise Http404(_("未找到该预约。"))
    try:
        appointment_cancel(appointment=appointment, applicant=applicant)
    except AppointmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已取消预约 %(number)s。") % {"number": appointment.number})
    return redirect("appointments:me")
