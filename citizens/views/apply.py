"""Apply online from /me/apply/: choose, see what is on file, upload the rest, submit.

Thin views over ``citizens.services.apply`` (itself the window's intake service).
Every case URL is looked up among the signed-in applicant's own cases: anyone
else's tracking number is 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.constants import CaseState, Channel, MaterialStatus
from cases.models import Applicant, Case
from cases.services.intake import case_checklist, case_notice_for_print, checklist_reuse_rate
from centres.models import Centre
from departments.constants import LifeEvent

from ..constants import MATERIAL_STATUS_PLAIN
from ..exceptions import ApplyError
from ..forms import ApplyStartForm, ApplyUploadForm, SubmitForm
from ..selectors import applicant_case_get, online_catalogue, online_life_events
from ..services.apply import (
    ONLINE_EDITABLE_STATES,
    online_application_start,
    online_application_submit,
    online_evidence_decline,
    online_form_update,
    online_material_upload,
)
from ..session import citizen_required


def _own_case(applicant: Applicant, tracking_no: str) -> Case:
    case = applicant_case_get(applicant=applicant, tracking_no=tracking_no)
    if case is None:
        raise Http404(_("未找到该办件。"))
    return case


def _is_editable(case: Case) -> bool:
    return case.state in ONLINE_EDITABLE_STATES and not (
        case.state == CaseState.DRAFT and case.channel != Channel.ONLINE
    )


@require_http_methods(["GET", "POST"])
@citizen_required
def apply_choose(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    events = online_life_events(applicant=applicant)
    event = request.GET.get("event", "")
    if event and event not in LifeEvent.values:
        event = ""
    query = request.GET.get("q", "")
    form = ApplyStartForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        try:
            result = online_application_start(
                applicant=applicant,
                item_codes=form.cleaned_data["items"],
                bundle_code=form.cleaned_data["bundle"],
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
                centre=form.cleaned_data["centre"],
            )
        except ApplyError as error:
            form.add_error(None, str(error))
        else:
            return redirect("citizens:apply_case", tracking_no=result.case.tracking_no)
    catalogue = online_catalogue(applicant=applicant, life_event=event, query=query)
    for bundle in catalogue["bundles"]:
        # One key per form on the page: each choice is its own application.
        bundle.form_key = uuid.uuid4()
    return render(
        request,
        "citizens/apply_choose.html",
        {
            "applicant": applicant,
            "events": events,
            "event": event,
            "query": query,
            "form": form,
            "idempotency_key": form["idempotency_key"].value() or uuid.uuid4(),
            "chosen_items": form.data.getlist("items") if form.is_bound else [],
            "chosen_bundle": form.data.get("bundle", "") if form.is_bound else "",
            "centres": list(Centre.objects.filter(is_active=True).order_by("path")),
            "centre": Centre.objects.filter(
                is_active=True, code=request.GET.get("centre") or request.POST.get("centre") or ""
            ).first(),
            **catalogue,
        },
        status=400 if form.is_bound else 200,
    )


def _checklist_rows(case: Case) -> list[dict[str, Any]]:
    rows = []
    for entry in case_checklist(case=case):
        status = entry.material.status or MaterialStatus.MISSING
        rows.append(
            {
                "code": entry.material_type.code,
                "name": entry.material_type.name,
                "description": entry.material_type.description,
                "status": status,
                "plain": (
                    _("可选，需要时上传")
                    if status == MaterialStatus.MISSING and not entry.is_required
                    else MATERIAL_STATUS_PLAIN.get(status, "")
                ),
                "detail": entry.material.detail,
                "notes": entry.notes,
                "items": [item.name for item in entry.items],
                "is_required": entry.is_required,
                "is_missing": entry.is_missing,
                "can_upload": status in (MaterialStatus.MISSING, MaterialStatus.UPLOADED),
                "can_decline": entry.has_evidence,
                "declined": entry.material.evidence_declined,
            }
        )
    return rows


def _form_sections(case: Case, *, typed: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The items' forms, each field marked when a registry prefilled it; ``typed``: the
    values a refused save sent, shown again."""
    prefilled = (case.registry_prefill or {}).get("forms") or {}
    sections = []
    for item in case.items.order_by("code"):
        values = (case.form_data or {}).get(item.code, {})
        fields = [
            {
                "label": spec.get("label") or spec["name"],
                "value": (typed or {}).get(
                    f"{item.code}__{spec['name']}", values.get(spec["name"], "")
                ),
                "input_name": f"{item.code}__{spec['name']}",
                "is_prefilled": spec["name"] in (prefilled.get(item.code) or {}),
            }
            for spec in item.form_fields or []
            if isinstance(spec, dict) and spec.get("name")
        ]
        if fields:
            sections.append({"item": item, "fields": fields})
    return sections


def _apply_page(
    request: HttpRequest,
    applicant: Applicant,
    case: Case,
    *,
    upload_error: tuple[str, str] | None = None,
    form_error: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
    form_reason: str = "",
    status: int = 200,
) -> HttpResponse:
    rows = _checklist_rows(case)
    notice = case_notice_for_print(case=case) if case.state == CaseState.PENDING_MATERIALS else None
    sections = _form_sections(case, typed=form_values)
    input_names = {field["input_name"] for section in sections for field in section["fields"]}
    return render(
        request,
        "citizens/apply_case.html",
        {
            "applicant": applicant,
            "case": case,
            "rows": rows,
            "missing_count": sum(1 for row in rows if row.get("is_missing")),
            "on_file_count": sum(1 for row in rows if row["can_decline"])
            + sum(1 for row in rows if row["status"] == MaterialStatus.PRODUCED_IN_CASE),
            "reuse_percent": round(checklist_reuse_rate(case_checklist(case=case)) * 100),
            "notice_entries": notice.data.get("entries", []) if notice is not None else [],
            "form_sections": sections,
            "has_prefilled_fields": any(
                field["is_prefilled"] for section in sections for field in section["fields"]
            ),
            "form_error": form_error,
            # A message about no input on the page is shown above the form's button.
            "form_error_elsewhere": bool(
                form_error
                and form_error["field"] != "override_reason"
                and form_error["field"] not in input_names
            ),
            "form_reason": form_reason,
            "editable": _is_editable(case),
            "upload_error": upload_error,
            "submit_form": SubmitForm(initial={"submit_key": uuid.uuid4()}),
        },
        status=status,
    )


@require_http_methods(["GET"])
@citizen_required
def apply_case(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    if not _is_editable(case):
        return redirect("citizens:me_case", tracking_no=case.tracking_no)
    return _apply_page(request, applicant, case)


@require_POST
@citizen_required
def apply_upload(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    form = ApplyUploadForm(request.POST, request.FILES)
    code = request.POST.get("material_type", "")
    if not form.is_valid():
        return _apply_page(
            request, applicant, case, upload_error=(code, _("请选择要上传的文件。")), status=400
        )
    try:
        material = online_material_upload(
            case=case,
            applicant=applicant,
            material_type_code=form.cleaned_data["material_type"],
            file=form.cleaned_data["file"],
        )
    except ApplyError as error:
        return _apply_page(request, applicant, case, upload_error=(code, str(error)), status=400)
    messages.success(request, _("已收到「%(name)s」。") % {"name": material.material_type.name})
    page = reverse("citizens:apply_case", args=[case.tracking_no])
    return redirect(f"{page}#material-{material.material_type.code}")


@require_POST
@citizen_required
def apply_decline(
    request: HttpRequest, tracking_no: str, material_code: str, *, applicant: Applicant
) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    try:
        online_evidence_decline(case=case, applicant=applicant, material_type_code=material_code)
    except ApplyError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, _("好的，这项材料请您上传扫描件或照片。"))
    return redirect("citizens:apply_case", tracking_no=case.tracking_no)


@require_POST
@citizen_required
def apply_forms(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    values_by_item: dict[str, dict[str, str]] = {}
    for key, value in request.POST.items():
        item_code, separator, field_name = key.partition("__")
        if separator and field_name:
            values_by_item.setdefault(item_code, {})[field_name] = value
    reason = request.POST.get("override_reason", "")
    try:
        online_form_update(
            case=case, applicant=applicant, values_by_item=values_by_item, override_reason=reason
        )
    except ApplyError as error:
        if not error.field:
            messages.error(request, str(error))
            return redirect("citizens:apply_case", tracking_no=case.tracking_no)
        # The page again, with what was typed, the reason box open and the message at
        # its field: nothing of this save was written.
        case.refresh_from_db()
        return _apply_page(
            request,
            applicant,
            case,
            form_error={"field": error.field, "message": str(error)},
            form_values={
                f"{code}__{name}": value
                for code, values in values_by_item.items()
                for name, value in values.items()
            },
            form_reason=reason,
            status=400,
        )
    messages.success(request, _("申请表已保存。"))
    return redirect("citizens:apply_case", tracking_no=case.tracking_no)


@require_POST
@citizen_required
def apply_submit(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("页面已过期，请刷新后重试。"))
        return redirect("citizens:apply_case", tracking_no=case.tracking_no)
    try:
        result = online_application_submit(
            case=case, applicant=applicant, submit_key=str(form.cleaned_data["submit_key"])
        )
    except ApplyError as error:
        messages.error(request, str(error))
        return redirect("citizens:apply_case", tracking_no=case.tracking_no)
    if result.case.state == CaseState.PENDING_MATERIALS:
        messages.warning(
            request,
            _("还缺少一些材料：下面一次列出了需要补充的全部材料，上传后再次提交即可。"),
        )
        return redirect("citizens:apply_case", tracking_no=case.tracking_no)
    messages.success(
        request,
        _("申请已提交并受理，办件编号 %(number)s，无需到现场。") % {"number": case.tracking_no},
    )
    return redirect("citizens:me_case", tracking_no=case.tracking_no)
