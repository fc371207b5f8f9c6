"""The checklist page of a case at the window, and what it posts.

The applicant's details, the items' forms, the uploads and declined evidence, and
the submission that accepts the case or issues the one-time notice. Thin views, as
in ``views``: check the role, validate the shape, call one service, turn domain
errors into messages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from departments.constants import Role
from departments.roles import has_role

from ..constants import CaseState, MaterialStatus
from ..exceptions import CaseError
from ..models import Case
from ..selectors.overrides import case_registry_overrides
from ..services.intake import (
    ApplicantInputError,
    UploadError,
    applicant_update,
    case_checklist,
    case_form_update,
    case_intake_submit,
    case_material_decline_evidence,
    case_material_upload,
    case_notice_for_print,
    checklist_reuse_rate,
)
from .forms import ApplicantForm, UploadForm
from .selectors import OPEN_AT_THE_WINDOW
from .views import _case, window_staff_required


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
