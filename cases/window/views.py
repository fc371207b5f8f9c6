"""The window pages: queue of the day, intake, checklist, receipt and one-time notice.

Thin views: check the role, validate the shape, call one service, turn domain
errors into messages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from departments.constants import Role
from departments.roles import has_role, is_village_agent
from departments.selectors import bundles_search, items_search

from ..constants import CaseState, Channel, MaterialStatus
from ..exceptions import CaseError
from ..models import Case
from ..selectors.overrides import case_registry_overrides
from ..selectors.window import window_cases
from ..services.intake import (
    ApplicantInputError,
    IntakeInputError,
    UploadError,
    applicant_update,
    case_checklist,
    case_form_update,
    case_intake_submit,
    case_material_decline_evidence,
    case_material_upload,
    case_notice_for_print,
    checklist_reuse_rate,
    intake_start,
    notice_deadline,
)
from .forms import ApplicantForm, IntakeStartForm, UploadForm
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


def _form_sections(case: Case, *, typed: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The items' forms; ``typed``: the values a refused save sent, shown again."""
    sections = []
    for item in case.items.order_by("code"):
        values = (case.form_data or {}).get(item.code, {})
        fields = [
            {
                "name": spec["name"],
                "label": spec.get("label") or spec["name"],
                "value": (typed or {}).get(
                    f"{item.code}__{spec['name']}", values.get(spec["name"], "")
                ),
                "prefill": spec.get("prefill") or "",
                "input_name": f"{item.code}__{spec['name']}",
            }
            for spec in item.form_fields or []
            if isinstance(spec, dict) and spec.get("name")
        ]
        if fields:
            sections.append({"item": item, "fields": fields})
    return sections


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    applicant_form: Any = None,
    form_error: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
    form_reason: str = "",
) -> HttpResponse:
    checklist = case_checklist(case=case)
    applicant = case.applicant
    return render(
        request,
        "window/case.html",
        {
            # What was changed against the registries, with the reasons: the clerk
            # made or sees the change, so the values are shown in full.
            "registry_overrides": case_registry_overrides(case=case, in_full=True),
            "form_error": form_error,
            "form_reason": form_reason,
            "case": case,
            "checklist": checklist,
            "missing": [entry for entry in checklist if entry.is_missing],
            "reuse_rate": checklist_reuse_rate(checklist),
            "applicant_form": applicant_form
            or ApplicantForm(
                initial={
                    "name": applicant.name,
                    "phone": applicant.phone,
                    "address": applicant.address,
                }
            ),
            "form_sections": _form_sections(case, typed=form_values),
            "editable": case.state in OPEN_AT_THE_WINDOW,
            "upload_form": UploadForm(),
            "uploaded_status": MaterialStatus.UPLOADED,
            "notice": case_notice_for_print(case=case),
            "can_hand_out": has_role(request.user, Role.CLERK),
        },
    )


@require_GET
@window_staff_required
def case_detail(request: HttpRequest, tracking_no: str) -> HttpResponse:
    return _case_page(request, _case(tracking_no, request.user))


@require_POST
@window_staff_required
def applicant_save(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    form = ApplicantForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, applicant_form=form)
    try:
        applicant_update(case=case, actor=request.user, **form.cleaned_data)
    except ApplicantInputError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return _case_page(request, case, applicant_form=form)
    messages.success(request, _("申请人信息已保存。"))
    return redirect("window:case", tracking_no=tracking_no)


@require_POST
@window_staff_required
def forms_save(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    by_item: dict[str, dict[str, str]] = {}
    for key, value in request.POST.items():
        item_code, separator, field_name = key.partition("__")
        if separator and field_name:
            by_item.setdefault(item_code, {})[field_name] = value
    reason = request.POST.get("override_reason", "")
    try:
        # All items or none: a refused change to one item's field saves nothing.
        with transaction.atomic():
            for item_code, values in by_item.items():
                case_form_update(
                    case=case,
                    item_code=item_code,
                    values=values,
                    override_reason=reason,
                    actor=request.user,
                )
    except ApplicantInputError as error:
        # The page again, with what was typed and the message at its field.
        case.refresh_from_db()
        return _case_page(
            request,
            case,
            form_error={"field": error.field, "message": str(error)},
            form_values={
                f"{code}__{name}": value
                for code, values in by_item.items()
                for name, value in values.items()
            },
            form_reason=reason,
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("申请表已保存。"))
    return redirect("window:case", tracking_no=tracking_no)


@require_POST
@window_staff_required
def material_upload(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("window:case", tracking_no=tracking_no)
    try:
        material = case_material_upload(
            case=case,
            material_type_code=form.cleaned_data["material_type"],
            file=form.cleaned_data["file"],
            actor=request.user,
        )
    except (UploadError, CaseError) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("已收到「%(material)s」。") % {"material": material.material_type.name}
        )
    return redirect("window:case", tracking_no=tracking_no)


@require_POST
@window_staff_required
def evidence_decline(request: HttpRequest, tracking_no: str, material_code: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    try:
        case_material_decline_evidence(
            case=case, material_type_code=material_code, actor=request.user
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, _("已记录：申请人改为提交纸质材料。"))
    return redirect("window:case", tracking_no=tracking_no)


@require_POST
@window_staff_required
def case_submit(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    defects = {
        key.removeprefix("defect__"): value
        for key, value in request.POST.items()
        if key.startswith("defect__") and value.strip()
    }
    try:
        result = case_intake_submit(case=case, user=request.user, defects=defects)
    except CaseError as error:
        messages.error(request, str(error))
        return redirect("window:case", tracking_no=tracking_no)
    if result.case.state == CaseState.PENDING_MATERIALS:
        messages.warning(request, _("材料不全：已出具一次性告知书，请打印交申请人。"))
        return redirect("window:notice", tracking_no=tracking_no)
    messages.success(request, _("已受理，请打印受理回执。"))
    return redirect("window:receipt", tracking_no=tracking_no)


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
