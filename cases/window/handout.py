"""The window hands out the result (综合窗口出件): the hand-out page, its actions, the denial notice.

Thin views: clerks only (a village agent does not hand out results), shape checked by
the form, one service call, domain errors shown per field or as a message. The
transitions' own permissions decide again who may hand out.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..constants import CaseState
from ..exceptions import CaseError, DeliveryInputError
from ..models import Case
from ..selectors import case_visit_summary
from ..selectors.visits import VISITS_GOAL
from ..services.handout import (
    case_denial_hand_out,
    case_hand_over_at_window,
    case_send_by_courier,
)
from .handout_forms import CollectForm, CourierForm, DenialForm, add_service_errors
from .handout_selectors import RESULT_STATES, case_certificate, case_handout
from .views import _case, clerk_required


def _handout_page(
    request: HttpRequest,
    case: Case,
    *,
    collect_form: CollectForm | None = None,
    courier_form: CourierForm | None = None,
    denial_form: DenialForm | None = None,
    status: int = 200,
) -> HttpResponse:
    handout = case_handout(case=case)
    applicant = case.applicant
    return render(
        request,
        "window/handout.html",
        {
            "case": case,
            "handout": handout,
            "visits": case_visit_summary(case=case),
            "visits_goal": VISITS_GOAL,
            "can_hand_out": case.state in RESULT_STATES,
            "is_denied": case.state == CaseState.DENIED,
            "collect_form": collect_form or CollectForm(initial={"collected_by": applicant.name}),
            "courier_form": courier_form
            or CourierForm(initial={"recipient": applicant.name, "phone": applicant.phone}),
            "denial_form": denial_form or DenialForm(),
        },
        status=status,
    )


@require_GET
@clerk_required
def handout(request: HttpRequest, tracking_no: str) -> HttpResponse:
    return _handout_page(request, _case(tracking_no, request.user))


@require_POST
@clerk_required
def handout_collect(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    form = CollectForm(request.POST)
    if form.is_valid():
        try:
            case_hand_over_at_window(case=case, actor=request.user, **form.cleaned_data)
        except DeliveryInputError as error:
            add_service_errors(form, error)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("办件 %(number)s 已在窗口领取，办结。") % {"number": case.tracking_no},
            )
            return redirect("window:handout", tracking_no=tracking_no)
    return _handout_page(request, case, collect_form=form, status=400)


@require_POST
@clerk_required
def handout_courier(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    form = CourierForm(request.POST)
    if form.is_valid():
        try:
            delivery, _created = case_send_by_courier(
                case=case, actor=request.user, **form.cleaned_data
            )
        except DeliveryInputError as error:
            add_service_errors(form, error)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("已交 %(courier)s 寄递，运单号 %(waybill)s。")
                % {"courier": delivery.get_courier_display(), "waybill": delivery.waybill},
            )
            return redirect("window:handout", tracking_no=tracking_no)
    return _handout_page(request, case, courier_form=form, status=400)


@require_GET
@clerk_required
def certificate_pdf(request: HttpRequest, tracking_no: str, certificate_id: int) -> HttpResponse:
    """The signed PDF of a certificate of this case: shown to print, or saved.

    The paper certificate printed at the window is this same signed file.
    """
    case = _case(tracking_no, request.user)
    certificate = case_certificate(case=case, certificate_id=certificate_id)
    if certificate is None or not certificate.pdf:
        raise Http404(_("该电子证照尚无签章文件。"))
    try:
        handle = certificate.pdf.open("rb")
    except FileNotFoundError:
        raise Http404(_("该电子证照尚无签章文件。")) from None
    response = FileResponse(
        handle,
        as_attachment=request.GET.get("download") == "1",
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@clerk_required
def denial_notice(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    handout_data = case_handout(case=case)
    if not handout_data.rejections:
        messages.error(request, _("本办件没有不予批准的决定。"))
        return redirect("window:handout", tracking_no=tracking_no)
    return render(
        request,
        "window/denial_notice.html",
        {"case": case, "rejections": handout_data.rejections},
    )


@require_POST
@clerk_required
def denial_hand_out(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _case(tracking_no, request.user)
    form = DenialForm(request.POST)
    if form.is_valid():
        try:
            case_denial_hand_out(case=case, actor=request.user, **form.cleaned_data)
        except DeliveryInputError as error:
            add_service_errors(form, error)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("不予批准决定已送达，办件办结。"))
            return redirect("window:handout", tracking_no=tracking_no)
    return _handout_page(request, case, denial_form=form, status=400)
