"""/me/lottery/: the signed-in applicant applies to open rounds, follows their own
applications (state, weight, lottery code, every failed rule's reason) and asks for a
review (复核) of an ineligible verdict. Only their own applications are ever shown; any
other number answers 404, like one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Applicant
from citizens.session import citizen_required

from ..constants import ApplicationState, Channel
from ..forms import AppealForm
from ..models import Round
from ..selectors import applicant_application_get, applicant_applications, rounds_open_now
from ..services.applications import application_appeal, application_submit
from ..services.errors import AlreadyAppliedError, LotteryError


@citizen_required
def me_lottery(request: HttpRequest, *, applicant: Applicant) -> HttpResponse:
    applications = list(applicant_applications(applicant=applicant))
    applied = {application.round_id: application for application in applications}
    rounds = [
        {"round": round_, "application": applied.get(round_.pk)} for round_ in rounds_open_now()
    ]
    for application in applications:
        application.may_appeal = (  # type: ignore[attr-defined]
            application.state == ApplicationState.INELIGIBLE
            and application.round.appeals_closed_at is None
            and application.round.drawn_at is None
        )
    return render(
        request,
        "lottery/me_lottery.html",
        {
            "applicant": applicant,
            "rounds": rounds,
            "applications": applications,
            "appeal_form": AppealForm(),
        },
    )


@require_POST
@citizen_required
def me_lottery_apply(
    request: HttpRequest, round_code: str, *, applicant: Applicant
) -> HttpResponse:
    """Apply online as the signed-in applicant: their own ID, name and phone."""
    round_ = Round.objects.select_related("rule_set").filter(code=round_code).first()
    if round_ is None:
        raise Http404(_("未找到该摇号轮次。"))
    try:
        application = application_submit(
            round_=round_,
            id_type=applicant.id_type,
            id_number=applicant.id_number,
            name=applicant.name,
            phone=applicant.phone,
            channel=Channel.ONLINE,
        )
    except AlreadyAppliedError as error:
        messages.info(request, str(error))
    except LotteryError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("已提交申请：申请编号 %(number)s，摇号编码 %(code)s。申请截止后统一进行资格审核。")
            % {"number": application.application_no, "code": application.lottery_code},
        )
    return redirect("lottery:me")


@require_POST
@citizen_required
def me_lottery_appeal(
    request: HttpRequest, application_no: str, *, applicant: Applicant
) -> HttpResponse:
    """申请复核: the registries are read again now; the page says what came of it."""
    application = applicant_application_get(applicant=applicant, application_no=application_no)
    if application is None:
        raise Http404(_("未找到该申请。"))
    form = AppealForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("lottery:me")
    try:
        appealed = application_appeal(application=application, note=form.cleaned_data["note"])
    except LotteryError as error:
        messages.error(request, str(error))
        return redirect("lottery:me")
    if appealed.state == ApplicationState.ELIGIBLE:
        messages.success(request, _("复核通过：重新读取的共享数据符合条件，您已进入摇号资格池。"))
    else:
        messages.info(
            request,
            _("已申请复核：重新读取的共享数据仍未通过，已转交摇号管理人员人工复核。"),
        )
    return redirect("lottery:me")
