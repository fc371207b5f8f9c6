"""Sign-up pages /me/sign-up/: details → SMS code → real-name check → signed in.

Every way in is throttled before anything is read or written: codes asked for per
client address (and, in the service, per ID number and per mobile number); wrong
codes and real-name refusals per address, per ID number and per mobile number.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..constants import SESSION_PENDING_SIGN_UP_KEY
from ..exceptions import (
    IdentityCheckUnavailableError,
    RealNameMismatchError,
    SignInError,
    SignUpError,
)
from ..forms import CodeForm, SignUpForm
from ..services.sign_up import (
    SignUpDetails,
    phone_subject,
    sign_up_code_request,
    sign_up_complete,
    sign_up_details_clean,
    sign_up_subject,
)
from ..session import citizen_applicant, citizen_sign_in
from ..throttles import (
    SIGN_UP_FAILURES,
    SIGN_UP_PHONE_FAILURES,
    SIGN_UP_REQUESTS,
    SIGN_UP_SUBJECT_FAILURES,
    client_ident,
)


def _details_or_error(form: SignUpForm) -> SignUpDetails | None:
    try:
        return sign_up_details_clean(**form.cleaned_data)
    except SignUpError as error:
        form.add_error(error.field or None, str(error))
        return None


def _blocked_for(details: SignUpDetails, client: str) -> bool:
    return (
        SIGN_UP_FAILURES.is_blocked(client)
        or SIGN_UP_SUBJECT_FAILURES.is_blocked(sign_up_subject(id_number=details.id_number))
        or SIGN_UP_PHONE_FAILURES.is_blocked(phone_subject(phone=details.phone))
    )


def _record_failure(details: SignUpDetails, client: str) -> None:
    SIGN_UP_FAILURES.record(client)
    SIGN_UP_SUBJECT_FAILURES.record(sign_up_subject(id_number=details.id_number))
    SIGN_UP_PHONE_FAILURES.record(phone_subject(phone=details.phone))


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if citizen_applicant(request) is not None:
        return redirect("citizens:me")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        client = client_ident(request)
        if SIGN_UP_REQUESTS.is_blocked(client):
            return render(request, "citizens/throttled.html", status=429)
        details = _details_or_error(form) if form.is_valid() else None
        if details is not None:
            if _blocked_for(details, client):
                return render(request, "citizens/throttled.html", status=429)
            SIGN_UP_REQUESTS.record(client)
            try:
                sign_up_code_request(details=details, client_ip=client)
            except SignInError as error:
                form.add_error("phone", str(error))
            else:
                request.session[SESSION_PENDING_SIGN_UP_KEY] = details.as_session()
                messages.info(request, _("验证码已发送到您填写的手机号码，5分钟内有效。"))
                return redirect("citizens:sign_up_code")
    return render(request, "citizens/sign_up.html", {"form": form}, status=_status(form))


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


@require_http_methods(["GET", "POST"])
def sign_up_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_PENDING_SIGN_UP_KEY)
    if not isinstance(pending, dict):
        return redirect("citizens:sign_up")
    details = SignUpDetails(**pending)
    form = CodeForm(request.POST or None)
    refusal = ""
    if request.method == "POST":
        client = client_ident(request)
        if _blocked_for(details, client):
            return render(request, "citizens/throttled.html", status=429)
        if form.is_valid():
            try:
                applicant = sign_up_complete(details=details, code=form.cleaned_data["code"])
            except (RealNameMismatchError, IdentityCheckUnavailableError) as error:
                # The code is spent: start again with the details corrected.
                _record_failure(details, client)
                request.session.pop(SESSION_PENDING_SIGN_UP_KEY, None)
                refusal = str(error)
            except SignInError as error:
                _record_failure(details, client)
                form.add_error("code", str(error))
            else:
                citizen_sign_in(request, applicant=applicant)
                messages.success(request, _("注册成功，已通过实名核验。"))
                return redirect("citizens:me")
    if refusal:
        return render(
            request, "citizens/sign_up.html", {"form": SignUpForm(), "refusal": refusal}, status=400
        )
    return render(
        request,
        "citizens/sign_up_code.html",
        {"form": form, "phone_tail": details.phone[-4:]},
        status=_status(form),
    )
