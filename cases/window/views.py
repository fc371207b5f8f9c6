"""The window pages: queue of the day, intake, receipt and one-time notice.

Thin views: check the role, validate the shape, call one service, turn domain
errors into messages. The role checks and the case lookup here serve the other
window pages too: the checklist (``checklist``) and the hand-out (``handout``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from departments.constants import Role
from departments.roles import has_role, is_village_agent
from departments.selectors import bundles_search, items_search

from ..constants import Channel
from ..exceptions import CaseError
from ..models import Case
from ..selectors.window import window_cases
from ..services.intake import (
    ApplicantInputError,
    IntakeInputError,
    case_checklist,
    case_notice_for_print,
    intake_start,
    notice_deadline,
)
from .forms import IntakeStartForm
from .handout_selectors import handout_queue
from .selectors import OPEN_AT_THE_WINDOW, window_queue

View = Callable[..., HttpResponse]


def _roles_required(*roles: str, refusal: Any) -> Callable[[View], View]:
    """Signed in with one of ``roles``; anyone else is refused with ``refusal``."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Clerks and village agents; anyone else is refused (after logging in).
window_staff_required = _roles_required(
    Role.CLERK, Role.AGENT, refusal=gettext_lazy("只有窗口人员或代办员可以使用综合窗口。")
)
# Clerks only: handing out results is not a village agent's work (an agent applies for
# people and follows the cases it submitted, nothing else).
clerk_required = _roles_required(Role.CLERK, refusal=gettext_lazy("只有窗口人员可以出件。"))


def _case(tracking_no: str, user: Any) -> Case:
    """The case a window page is about, if this user may open it (``window_cases``);
    any other answers 404, as a number that does not exist."""
    return get_object_or_404(
        window_cases(user=user).select_related("applicant", "bundle", "created_by", "centre"),
        tracking_no=tracking_no,
    )


@require_GET
@window_staff_required
def queue(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    agent = is_village_agent(request.user)
    cases = list(window_queue(user=request.user, query=query)[:200])
    return render(
        request,
        "window/queue.html",
        {
            "cases": cases,
            "query": query,
            "open_states": OPEN_AT_THE_WINDOW,
            "is_agent": agent,
            "to_hand_out": [] if agent else list(handout_queue(user=request.user)[:200]),
        },
    )


@require_GET
@window_staff_required
def catalogue_search(request: HttpRequest) -> HttpResponse:
    """The item and bundle picker (an htmx fragment; the full page includes it too)."""
    query = request.GET.get("q", "")
    chosen_items = request.GET.getlist("items")
    chosen_bundle = request.GET.get("bundle", "")
    # What is already ticked stays in the list whatever the search, so it is not lost.
    items = list(items_search().filter(code__in=chosen_items))
    items += [item for item in items_search(query=query) if item.code not in chosen_items]
    bundles = list(bundles_search().filter(code=chosen_bundle)) if chosen_bundle else []
    bundles += [bundle for bundle in bundles_search(query=query) if bundle.code != chosen_bundle]
    return render(
        request,
        "window/_catalogue.html",
        {
            "items": items,
            "bundles": bundles,
            "chosen_items": chosen_items,
            "chosen_bundle": chosen_bundle,
        },
    )


@window_staff_required
def intake_new(request: HttpRequest) -> HttpResponse:
    form = IntakeStartForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = intake_start(
                id_type=data["id_type"],
                id_number=data["id_number"],
                name=data["name"],
                phone=data["phone"],
                address=data["address"],
                item_codes=data["items"],
                bundle_code=data["bundle"],
                channel=data["channel"],
                user=request.user,
                idempotency_key=data["idempotency_key"],
                applicant_present=data["applicant_present"],
                override_reason=data["override_reason"],
            )
        except (ApplicantInputError, IntakeInputError) as error:
            # On a field the clerk can see, else above the form (a hidden field's error
            # would not show).
            shown = error.field in form.fields and not form.fields[error.field].widget.is_hidden
            form.add_error(error.field if shown else None, str(error))
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("已建立办件 %(number)s，请核对材料清单。") % {"number": result.case.tracking_no},
            )
            return redirect("window:case", tracking_no=result.case.tracking_no)
    return render(
        request,
        "window/intake.html",
        {
            "form": form,
            "items": items_search(),
            "bundles": bundles_search(),
            "chosen_items": form.data.getlist("items") if form.is_bound else [],
            "chosen_bundle": form.data.get("bundle", "") if form.is_bound else "",
        },
    )


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=3, border=2)


@require_GET
@window_staff_required
def receipt(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    if case.accepted_at is None:
        messages.error(request, _("办件尚未受理，没有受理回执。"))
        return redirect("window:case", tracking_no=tracking_no)
    track_url = request.build_absolute_uri(f"/track/{case.tracking_no}/")
    return render(
        request,
        "window/receipt.html",
        {
            "case": case,
            "items": case.items.select_related("department").order_by("code"),
            "checklist": case_checklist(case=case),
            "track_url": track_url,
            "qr_svg": _qr_svg(track_url),
            "agent": case.created_by if case.channel == Channel.AGENT else None,
        },
    )


@require_GET
@window_staff_required
def notice(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    event = case_notice_for_print(case=case)
    if event is None:
        messages.error(request, _("本办件没有一次性告知。"))
        return redirect("window:case", tracking_no=tracking_no)
    track_url = request.build_absolute_uri(f"/track/{case.tracking_no}/")
    return render(
        request,
        "window/notice.html",
        {
            "case": case,
            "event": event,
            "entries": event.data.get("entries", []),
            "deadline": notice_deadline(submitted_at=case.submitted_at)
            if case.submitted_at
            else None,
            "track_url": track_url,
            "qr_svg": _qr_svg(track_url),
        },
    )
