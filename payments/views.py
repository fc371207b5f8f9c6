"""The fee's pages: the citizen's "pay online", the clerk's waiver, the development
gateway's page, and the gateway's notification endpoint. Thin: each calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Applicant
from cases.selectors.window import window_cases
from cases.window.views import clerk_required
from citizens.selectors import applicant_case_get
from citizens.session import citizen_applicant, citizen_required

from .constants import PaymentState
from .exceptions import PaymentError
from .models import Payment
from .providers import DevelopmentProvider, payment_provider
from .services.notifications import payment_notification_receive
from .services.settlement import payment_order_create, payment_waive


@csrf_exempt  # the gateway posts it; its signature, not a cookie, proves who sent it
@require_POST
def notify(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/payments/notify/``: ``success`` once recorded (a replay too), 400
    with the reason when the signature or the shape is wrong (nothing changed)."""
    result = payment_notification_receive(body=request.body, headers=request.headers)
    if not result.is_accepted:
        return HttpResponse(f"fail: {result.detail}", status=400, content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")


@require_POST
@citizen_required
def me_case_pay(request: HttpRequest, tracking_no: str, *, applicant: Applicant) -> HttpResponse:
    """ "网上缴费": place the order and send the citizen to the gateway's page."""
    case = applicant_case_get(applicant=applicant, tracking_no=tracking_no)
    if case is None:
        raise Http404(_("未找到该办件。"))
    try:
        payment = payment_order_create(case=case)
    except PaymentError as error:
        messages.error(request, str(error))
        return redirect("citizens:me_case", tracking_no=case.tracking_no)
    return redirect(payment.pay_url)


@require_POST
@clerk_required
def case_fee_waive(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = get_object_or_404(window_cases(user=request.user), tracking_no=tracking_no)
    try:
        payment_waive(case=case, actor=request.user, reason=request.POST.get("reason", ""))
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已减免本件费用。"))
    return redirect("window:case", tracking_no=case.tracking_no)


@require_http_methods(["GET", "POST"])
def dev_page(request: HttpRequest, order_id: str) -> HttpResponse:
    """The development gateway's payment page (only with ``PAYMENT_BACKEND=console``),
    for the citizen whose case it is."""
    provider = payment_provider()
    if not isinstance(provider, DevelopmentProvider):
        raise Http404(_("未找到该支付订单。"))
    applicant = citizen_applicant(request)
    payment = get_object_or_404(
        Payment.objects.select_related("case"),
        provider_order_id=order_id,
        case__applicant_id=getattr(applicant, "pk", None),
    )
    if request.method == "POST":
        if request.POST.get("action") == "pay" and payment.state == PaymentState.PENDING:
            body = provider.notification_body(order_id=order_id, amount=f"{payment.amount:.2f}")
            payment_notification_receive(body=body, headers={}, provider=provider)
            messages.success(request, _("缴费成功。"))
        else:
            messages.info(request, _("已取消支付。"))
        return redirect("citizens:me_case", tracking_no=payment.case.tracking_no)
    return render(request, "payments/dev_page.html", {"payment": payment})
