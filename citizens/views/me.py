"""The personal space /me/: sign in with a one-time code, own cases, wallet, ratings,
supplements, and who read my data. Every view filters by the signed-in applicant:
anything else is 404, exactly like something that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.constants import ApprovalState, CaseState
from cases.models import Applicant, Approval, Rating
from cases.selectors import case_visit_summary

from ..constants import SESSION_PENDING_ID_KEY
from ..exceptions import CitizenError, SignInError
from ..forms import CodeForm, RatingForm, SignInForm, SupplementUploadForm
from ..selectors import (
    applicant_case_get,
    applicant_cases,
    applicant_certificate_get,
    applicant_certificates,
    applicant_data_reads_page,
    case_public_view,
    case_supplement_requests,
)
from ..services.oidc import oidc_is_enabled
from ..services.rating import rating_create
from ..services.sign_in import (
    one_time_code_request,
    one_time_code_subject,
    one_time_code_verify,
)
from ..services.supplement import supplement_material_upload
from ..session import citizen_applicant, citizen_required, citizen_sign_in, citizen_sign_out
from ..throttles import (
    SIGN_IN_FAILURES,
    SIGN_IN_REQUESTS,
    SIGN_IN_SUBJECT_FAILURES,
    client_ident,
)

DATA_READS_PER_PAGE = 50


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if citizen_applicant(request) is not None:
        return redirect("citizens:me")
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        client = client_ident(request)
        if SIGN_IN_REQUESTS.is_blocked(client):
            return render(request, "citizens/throttled.html", status=429)
        if form.is_valid():
            SIGN_IN_REQUESTS.record(client)
            try:
                one_time_code_request(id_number=form.cleaned_data["id_number"], client_ip=client)
            except SignInError as error:
                form.add_error("id_number", str(error))
            else:
                request.session[SESSION_PENDING_ID_KEY] = form.cleaned_data["id_number"]
                messages.info(
                    request,
                    _("如该证件号码已登记手机号，验证码已发送到登记的手机，5分钟内有效。"),
                )
                return redirect("citizens:sign_in_code")
    return render(
        request, "citizens/sign_in.html", {"form": form, "oidc_enabled": oidc_is_enabled()}
    )


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    id_number = request.session.get(SESSION_PENDING_ID_KEY)
    if not id_number:
        return redirect("citizens:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        client = client_ident(request)
        subject = one_time_code_subject(id_number=id_number)
        if SIGN_IN_FAILURES.is_blocked(client) or SIGN_IN_SUBJECT_FAILURES.is_blocked(subject):
            return render(request, "citizens/throttled.html", status=429)
        if form.is_valid():
            try:
                applicant = one_time_code_verify(
                    id_number=id_number, code=form.cleaned_data["code"]
                )
            except SignInError as error:
                SIGN_IN_FAILURES.record(client)
                SIGN_IN_SUBJECT_FAILURES.record(subject)
                form.add_error("code", str(error))
            else:
                citizen_sign_in(request, applicant=applicant)
                return redirect("citizens:me")
    return render(request, "citizens/sign_in_code.html", {"form": form})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    citizen_sign_out(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("citizens:sign_in")


@citizen_required
def me_home(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    cases = list(applicant_cases(applicant=applicant))
    return render(request, "citizens/me_home.html", {"applicant": applicant, "cases": cases})


def _own_case(applicant: Applicant, tracking_no: str):  # type: ignore[no-untyped-def]
    case = applicant_case_get(applicant=applicant, tracking_no=tracking_no)
    if case is None:
        raise Http404(_("未找到该办件。"))
    return case


def _case_page(
    request: HttpRequest,
    applicant: Applicant,
    case,  # type: ignore[no-untyped-def]
    *,
    rating_form: RatingForm | None = None,
    upload_error: tuple[int, str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    view = case_public_view(case=case)
    for certificate in view["certificates"]:
        certificate["verify_url"] = request.build_absolute_uri(certificate["verify_path"])
    rating = Rating.objects.filter(case=case).first()
    can_rate = case.state == CaseState.CLOSED and rating is None
    return render(
        request,
        "citizens/me_case.html",
        {
            "applicant": applicant,
            "case": case,
            "view": view,
            "supplements": case_supplement_requests(case=case),
            "upload_error": upload_error,
            "rating": rating,
            "rating_form": rating_form or (RatingForm() if can_rate else None),
            "visits": case_visit_summary(case=case),
        },
        status=status,
    )


@citizen_required
def me_case(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    return _case_page(request, applicant, _own_case(applicant, tracking_no))


@require_POST
@citizen_required
def me_case_rate(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            rating_create(
                case=case,
                applicant=applicant,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
        except CitizenError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("感谢您的评价！"))
            return redirect("citizens:me_case", tracking_no=case.tracking_no)
    return _case_page(request, applicant, case, rating_form=form, status=400)


@require_POST
@citizen_required
def me_case_supplement(
    request: HttpRequest, tracking_no: str, approval_id: int, *, applicant: Applicant
) -> HttpResponse:
    case = _own_case(applicant, tracking_no)
    approval = (
        Approval.objects.select_related("case")
        .filter(pk=approval_id, case=case, state=ApprovalState.SUPPLEMENT_REQUESTED)
        .first()
    )
    if approval is None:
        raise Http404(_("未找到该补正要求。"))
    form = SupplementUploadForm(request.POST, request.FILES)
    material_code = request.POST.get("material_type", "")
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _case_page(
            request, applicant, case, upload_error=(approval.pk, material_code, message), status=400
        )
    try:
        material = supplement_material_upload(
            approval=approval,
            applicant=applicant,
            material_code=form.cleaned_data["material_type"],
            upload=form.cleaned_data["file"],
        )
    except CitizenError as error:
        return _case_page(
            request,
            applicant,
            case,
            upload_error=(approval.pk, material_code, str(error)),
            status=400,
        )
    messages.success(request, _("已收到「%(name)s」。") % {"name": material.material_type.name})
    return redirect("citizens:me_case", tracking_no=case.tracking_no)


@citizen_required
def me_certificates(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    certificates = list(applicant_certificates(applicant=applicant))
    return render(
        request,
        "citizens/me_certificates.html",
        {"applicant": applicant, "certificates": certificates},
    )


@citizen_required
def me_certificate_pdf(
    request: HttpRequest, certificate_id: int, *, applicant: Applicant
) -> HttpResponse:
    certificate = applicant_certificate_get(applicant=applicant, certificate_id=certificate_id)
    if certificate is None or not certificate.pdf:
        raise Http404(_("未找到该电子证照。"))
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )


@citizen_required
def me_data_reads(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    page = applicant_data_reads_page(
        applicant=applicant, page_number=request.GET.get("page"), per_page=DATA_READS_PER_PAGE
    )
    return render(request, "citizens/me_data_reads.html", {"applicant": applicant, "page": page})
