"""The citizen's session: an applicant signed in with a one-time code (or a sign-up).

A person acting for an organisation (its legal representative, or by a delegation)
has the organisation as the session's applicant, so every /me/ page serves it
unchanged; the person and the basis are kept beside it and checked on each request.

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
    SESSION_ACTING_BASIS_KEY,
    SESSION_APPLICANT_KEY,
    SESSION_PENDING_ID_KEY,
    SESSION_PENDING_SIGN_UP_KEY,
    SESSION_PERSON_KEY,
    SESSION_SEEN_KEY,
)
from .services.delegation import delegation_basis_is_valid

_ACTING_KEYS = (SESSION_PERSON_KEY, SESSION_ACTING_BASIS_KEY)


def citizen_sign_in(request: HttpRequest, *, applicant: Applicant) -> None:
    # A new session key at sign-in: a key planted before cannot ride along.
    request.session.cycle_key()
    for key in (SESSION_PENDING_ID_KEY, SESSION_PENDING_SIGN_UP_KEY, *_ACTING_KEYS):
        request.session.pop(key, None)
    request.session[SESSION_APPLICANT_KEY] = applicant.pk
    request.session[SESSION_SEEN_KEY] = int(time.time())


def citizen_sign_out(request: HttpRequest) -> None:
    for key in (
        SESSION_APPLICANT_KEY,
        SESSION_SEEN_KEY,
        SESSION_PENDING_ID_KEY,
        SESSION_PENDING_SIGN_UP_KEY,
        *_ACTING_KEYS,
    ):
        request.session.pop(key, None)
    request.session.cycle_key()


def citizen_act_for(
    request: HttpRequest, *, person: Applicant, organisation: Applicant, basis: str
) -> None:
    """From now on the session acts for ``organisation``: every /me/ page shows and does
    what is the organisation's. The person stays recorded, and ``basis`` (legal
    representative, or ``delegation:<id>``) is checked again on every request."""
    request.session[SESSION_PERSON_KEY] = person.pk
    request.session[SESSION_ACTING_BASIS_KEY] = basis
    request.session[SESSION_APPLICANT_KEY] = organisation.pk


def citizen_act_as_self(request: HttpRequest) -> None:
    """Back to acting as the person who signed in."""
    person_id = request.session.get(SESSION_PERSON_KEY)
    for key in _ACTING_KEYS:
        request.session.pop(key, None)
    if person_id is not None:
        request.session[SESSION_APPLICANT_KEY] = person_id


def citizen_person(request: HttpRequest) -> Applicant | None:
    """The person signed in, whoever they act for (None: not signed in)."""
    acting = citizen_applicant(request)
    if acting is None:
        return None
    person_id = request.session.get(SESSION_PERSON_KEY)
    if person_id is None:
        return acting
    return Applicant.objects.filter(pk=person_id).first()


def citizen_applicant(request: HttpRequest) -> Applicant | None:
    """The signed-in applicant, or None (never signed in, or idle too long)."""
    applicant_id = request.session.get(SESSION_APPLICANT_KEY)
    if applicant_id is None:
        return None
    now = int(time.time())
    if now - int(request.session.get(SESSION_SEEN_KEY, 0)) > CITIZEN_SESSION_IDLE_SECONDS:
        citizen_sign_out(request)
        return None
    person_id = request.session.get(SESSION_PERSON_KEY)
    if person_id is not None and not _acting_is_allowed(request, person_id, applicant_id):
        # The delegation was revoked or ran out: the person acts as themselves again.
        citizen_act_as_self(request)
        applicant_id = person_id
    applicant = Applicant.objects.filter(pk=applicant_id).first()
    if applicant is None:
        citizen_sign_out(request)
        return None
    request.session[SESSION_SEEN_KEY] = now
    return applicant


def _acting_is_allowed(request: HttpRequest, person_id: int, organisation_id: int) -> bool:
    return delegation_basis_is_valid(
        basis=str(request.session.get(SESSION_ACTING_BASIS_KEY) or ""),
        person_id=int(person_id),
        organisation_id=int(organisation_id),
    )


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
