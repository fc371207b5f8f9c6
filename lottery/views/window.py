"""/window/lottery/: a clerk (channel window) or a village agent (channel agent) takes a
lottery application for the person in front of them, and sees the ones they took today
(newest first). The service decides everything; refusals show its message and write
nothing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.constants import Role
from departments.roles import has_role

from ..constants import Channel
from ..forms import WindowApplicationForm
from ..models import Round
from ..selectors import applications_taken_by, rounds_open_now
from ..services.applications import application_submit
from ..services.errors import AlreadyAppliedError, LotteryError

TAKEN_SHOWN = 50


def window_lottery_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, Role.CLERK, Role.AGENT):
            raise PermissionDenied(_("只有窗口人员或代办员可以代为申请指标摇号。"))
        return view(request, *args, **kwargs)

    return wrapped


@window_lottery_staff
def window_lottery(request: HttpRequest) -> HttpResponse:
    rounds = list(rounds_open_now())
    form = WindowApplicationForm(request.POST or None, rounds=rounds)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        round_ = Round.objects.select_related("rule_set").get(code=data["round_code"])
        channel = Channel.AGENT if has_role(request.user, Role.AGENT) else Channel.WINDOW
        try:
            application = application_submit(
                round_=round_,
                id_type=data["id_type"],
                id_number=data["id_number"],
                name=data["name"],
                phone=data["phone"],
                channel=channel,
                user=request.user,
            )
        except AlreadyAppliedError as error:
            messages.warning(request, str(error))
        except LotteryError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request,
                _("已受理：申请编号 %(number)s，摇号编码 %(code)s。")
                % {"number": application.application_no, "code": application.lottery_code},
            )
            return redirect("lottery:window")
    return render(
        request,
        "lottery/window.html",
        {
            "form": form,
            "rounds": rounds,
            "taken": applications_taken_by(user=request.user)[:TAKEN_SHOWN],
        },
    )
