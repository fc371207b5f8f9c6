"""/me/notifications/: the signed-in citizen chooses how to be told."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.models import Applicant
from citizens.session import citizen_required

from .exceptions import PreferenceError
from .forms import PreferenceForm
from .services.preferences import notification_preference_get, notification_preference_update


@require_http_methods(["GET", "POST"])
@citizen_required
def me_notifications(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    preference = notification_preference_get(applicant=applicant)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                notification_preference_update(applicant=applicant, **form.cleaned_data)
            except PreferenceError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("通知设置已保存。"))
                return redirect("notifications:me")
        status = 400
    else:
        form = PreferenceForm(
            initial={
                "sms_enabled": preference.sms_enabled,
                "email_enabled": preference.email_enabled,
                "email": preference.email,
            }
        )
        status = 200
    return render(
        request,
        "notifications/me_notifications.html",
        {"applicant": applicant, "form": form, "phone": applicant.phone},
        status=status,
    )
