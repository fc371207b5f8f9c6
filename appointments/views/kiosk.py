"""/hall/<centre>/check-in/: at the hall's kiosk (public), a person types the appointment
number and gets a priority ticket. Wrong numbers are counted per trusted client address
(``throttles.CHECK_IN_FAILURES``); a blocked client is answered before anything is read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from centres.models import Centre
from citizens.throttles import client_ident

from ..exceptions import AppointmentError, AppointmentNotFoundError
from ..forms import CheckInForm
from ..services.check_in import appointment_check_in
from ..throttles import CHECK_IN_FAILURES


@require_http_methods(["GET", "POST"])
def kiosk_check_in(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = get_object_or_404(Centre, code=centre_code, is_active=True)
    form = CheckInForm(request.POST or None)
    context = {"centre": centre, "form": form}
    if request.method == "GET":
        return render(request, "appointments/check_in.html", context)
    client = client_ident(request)
    if CHECK_IN_FAILURES.is_blocked(client):
        context["blocked"] = _("输错次数过多，请稍后再试，或到咨询台求助。")
        return render(request, "appointments/check_in.html", context, status=429)
    if not form.is_valid():
        return render(request, "appointments/check_in.html", context, status=400)
    try:
        appointment = appointment_check_in(number=form.cleaned_data["number"], centre=centre)
    except AppointmentNotFoundError as error:
        CHECK_IN_FAILURES.record(client)
        form.add_error("number", str(error))
        return render(request, "appointments/check_in.html", context, status=400)
    except AppointmentError as error:
        form.add_error("number", str(error))
        return render(request, "appointments/check_in.html", context, status=400)
    context["appointment"] = appointment
    context["form"] = CheckInForm()
    return render(request, "appointments/check_in.html", context)
