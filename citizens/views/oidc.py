"""Sign-in through the provincial unified identity platform (OpenID Connect); 404 when
it is not configured. Throttled per address like the SMS sign-in: every start counts
against ``SIGN_IN_REQUESTS``, every failed return against ``SIGN_IN_FAILURES``."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..exceptions import SignInError
from ..forms import SignInForm
from ..services.oidc import oidc_is_enabled, oidc_sign_in_finish, oidc_sign_in_start
from ..session import citizen_sign_in
from ..throttles import SIGN_IN_FAILURES, SIGN_IN_REQUESTS, client_ident


def _require_enabled() -> None:
    if not oidc_is_enabled():
        raise Http404


@require_POST
def oidc_start(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    client = client_ident(request)
    if SIGN_IN_REQUESTS.is_blocked(client):
        return render(request, "citizens/throttled.html", status=429)
    SIGN_IN_REQUESTS.record(client)
    return oidc_sign_in_start(
        request=request, redirect_uri=request.build_absolute_uri(reverse("citizens:oidc_callback"))
    )


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    client = client_ident(request)
    if SIGN_IN_FAILURES.is_blocked(client):
        return render(request, "citizens/throttled.html", status=429)
    try:
        applicant = oidc_sign_in_finish(request=request)
    except SignInError as error:
        SIGN_IN_FAILURES.record(client)
        form = SignInForm()
        return render(
            request,
            "citizens/sign_in.html",
            {"form": form, "oidc_error": str(error), "oidc_enabled": True},
            status=400,
        )
    citizen_sign_in(request, applicant=applicant)
    return redirect("citizens:me")
