"""The citizen's session: an applicant signed in with a one-time code.

A citizen is not a Django ``User``. The session holds only the applicant's id
and when it was last used, so nothing that trusts ``request.user`` — the admin,
the staff pages, the token API, the state machine's permission checks — can ever
treat a citizen as staff, and staff accounts never see /me/ as theirs.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from cases.models import Applicant

from .constants import (
    CITIZEN_SESSION_IDLE_SECONDS,
    SESSION_APPLICANT_KEY,
    SESSION_PENDING_ID_KEY,
    SESSION_SEEN_KEY,
)


def citizen_sign_in(request: HttpRequest, *, applicant: Applicant) -> None:
    # A new session key at sign-in: a key planted before cannot ride along.
    request.session.cycle_key()
    request.session.pop(SESSION_PENDING_ID_KEY, None)
    request.session[SESSION_APPLICANT_KEY] = applicant.pk
    request.session[SESSION_SEEN_KEY] = int(time.time())


def citizen_sign_out(request: HttpRequest) -> None:
    for key in (SESSION_APPLICANT_KEY, SESSION_SEEN_KEY, SESSION_PENDING_ID_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def citizen_applicant(request: HttpRequest) -> Applicant | None:
    """The signed-in applicant, or None (never signed in, or idle too long)."""
    applicant_id = request.session.get(SESSION_APPLICANT_KEY)
    if applicant_id is None:
        return None
    now = int(time.time())
    if now - int(request.session.get(SESSION_SEEN_KEY, 0)) > CITIZEN_SESSION_IDLE_SECONDS:
        citizen_sign_out(request)
        return None
    applicant = Applicant.objects.filter(pk=applicant_id).first()
    if applicant is None:
        citizen_sign_out(request)
        return None
    request.session[SESSION_SEEN_KEY] = now
    return applicant


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view gets ``applicant=`` the signed-in applicant; others go to sign in."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        applicant = citizen_applicant(request)
        if applicant is None:
            return redirect("citizens:sign_in")
        response = view(request, *args, applicant=applicant, **kwargs)
        response.headers["Cache-Control"] = "no-store, private"
        return response

    return wrapper
