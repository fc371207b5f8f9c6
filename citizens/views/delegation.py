"""/me/organisations/: act for an organisation, and (for its legal representative)
grant and revoke delegations. Everything is done by the person signed in, whoever the
session acts for; refusals that may have read the registry are throttled per address."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Applicant

from ..exceptions import DelegationError
from ..forms import ActForForm, DelegationGrantForm
from ..models import Delegation
from ..services.delegation import (
    acting_right_get,
    delegation_grant,
    delegation_revoke,
    valid_delegations,
)
from ..session import citizen_act_as_self, citizen_act_for, citizen_person, citizen_required
from ..throttles import ACT_FOR_FAILURES, client_ident


def _page(
    request: HttpRequest,
    applicant: Applicant,
    *,
    act_form: ActForForm | None = None,
    grant_form: DelegationGrantForm | None = None,
    status: int = 200,
) -> HttpResponse:
    person = citizen_person(request) or applicant
    context: dict[str, Any] = {
        "applicant": applicant,
        "person": person,
        "acting": person.pk != applicant.pk,
        "received": list(valid_delegations(delegate=person)),
        # What this person granted (they may revoke it; a new representative revokes an
        # old one by its number, after the registry confirms them).
        "granted": list(
            Delegation.objects.filter(granted_by=person).select_related("organisation", "delegate")[
                :100
            ]
        ),
        "act_form": act_form or ActForForm(),
        "grant_form": grant_form or DelegationGrantForm(),
    }
    return render(request, "citizens/delegations.html", context, status=status)


@citizen_required
def me_organisations(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    return _page(request, applicant)


def _throttled(request: HttpRequest) -> HttpResponse | None:
    if ACT_FOR_FAILURES.is_blocked(client_ident(request)):
        return render(request, "citizens/throttled.html", status=429)
    return None


@require_POST
@citizen_required
def me_act_for(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    """Switch to an organisation: its cases, applications and certificates show."""
    blocked = _throttled(request)
    if blocked is not None:
        return blocked
    person = citizen_person(request) or applicant
    form = ActForForm(request.POST)
    if form.is_valid():
        try:
            right = acting_right_get(person=person, credit_code=form.cleaned_data["credit_code"])
        except DelegationError as error:
            ACT_FOR_FAILURES.record(client_ident(request))
            form.add_error("credit_code", str(error))
        else:
            citizen_act_for(
                request, person=person, organisation=right.organisation, basis=right.basis
            )
            messages.success(
                request, _("您正在以「%(name)s」的名义办事。") % {"name": right.organisation.name}
            )
            return redirect("citizens:me")
    return _page(request, applicant, act_form=form, status=400)


@require_POST
@citizen_required
def me_act_as_self(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    citizen_act_as_self(request)
    messages.info(request, _("已切换回本人。"))
    return redirect("citizens:me")


@require_POST
@citizen_required
def me_delegation_grant(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    blocked = _throttled(request)
    if blocked is not None:
        return blocked
    person = citizen_person(request) or applicant
    form = DelegationGrantForm(request.POST)
    if form.is_valid():
        try:
            delegation = delegation_grant(granter=person, **form.cleaned_data)
        except DelegationError as error:
            ACT_FOR_FAILURES.record(client_ident(request))
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("已授权%(name)s以「%(organisation)s」的名义办事，有效期至%(date)s。")
                % {
                    "name": delegation.delegate.masked_name,
                    "organisation": delegation.organisation.name,
                    "date": delegation.valid_until.isoformat(),
                },
            )
            return redirect("citizens:me_organisations")
    return _page(request, applicant, grant_form=form, status=400)


@require_POST
@citizen_required
def me_delegation_revoke(
    request: HttpRequest, delegation_id: int, *, applicant: Applicant
) -> HttpResponse:
    blocked = _throttled(request)
    if blocked is not None:
        return blocked
    person = citizen_person(request) or applicant
    try:
        delegation_revoke(person=person, delegation_id=delegation_id)
    except DelegationError as error:
        ACT_FOR_FAILURES.record(client_ident(request))
        messages.error(request, str(error))
        return _page(request, applicant, status=400)
    messages.success(request, _("授权已撤销。"))
    return redirect("citizens:me_organisations")
