"""/window/hall/: the clerk picks the window they sit at (kept in the session, only the
windows of their own centre), calls the next ticket, recalls, marks no-show, transfers,
starts and finishes service. Windows and tickets of another centre answer 404; the
services decide everything else and their refusals become messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.selectors.window import window_cases
from centres.models import ServiceWindow
from departments.constants import Role
from departments.roles import has_role

from ..exceptions import OutOfScopeError, TicketError
from ..forms import DoneForm, TransferForm, WindowChoiceForm
from ..models import Ticket
from ..selectors import (
    display_board,
    tickets_for_clerk,
    window_tickets_finished,
    window_tickets_open,
    windows_for_clerk,
)
from ..services.calling import (
    ticket_call_next,
    ticket_done,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)

SESSION_WINDOW = "hall_window_id"
View = Callable[..., HttpResponse]


def hall_clerk_required(view: View) -> View:
    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, Role.CLERK):
            raise PermissionDenied(_("只有窗口人员可以叫号。"))
        return view(request, *args, **kwargs)

    return wrapped


def _session_window(request: HttpRequest) -> ServiceWindow | None:
    """The window chosen in this session, while it is still one the clerk may use."""
    window_id = request.session.get(SESSION_WINDOW)
    if window_id is None:
        return None
    window = windows_for_clerk(user=request.user).filter(pk=window_id).first()
    if window is None:
        request.session.pop(SESSION_WINDOW, None)
    return window


def _choose_window(request: HttpRequest) -> HttpResponse:
    value = request.POST.get("window", "")
    if not value.isdigit():
        messages.error(request, _("请选择窗口。"))
        return redirect("hall:window")
    window = get_object_or_404(windows_for_clerk(user=request.user), pk=int(value))
    request.session[SESSION_WINDOW] = window.pk
    messages.success(
        request, _("您在%(centre)s %(window)s。") % {"centre": window.centre.name, "window": window}
    )
    return redirect("hall:window")


@hall_clerk_required
@require_http_methods(["GET", "POST"])
def window_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _choose_window(request)
    windows = windows_for_clerk(user=request.user)
    window = _session_window(request)
    context: dict[str, Any] = {
        "choice_form": WindowChoiceForm(windows=windows, initial={"window": window}),
        "window": window,
    }
    if window is not None:
        context.update(
            in_hand=list(window_tickets_open(window=window)),
            finished=window_tickets_finished(window=window),
            window_queues=list(window.queues.filter(is_active=True)),
            board=display_board(centre=window.centre),
            done_form=DoneForm(),
            transfer_form=TransferForm(centre_id=window.centre_id),
        )
    return render(request, "hall/window.html", context)


@hall_clerk_required
@require_POST
def call_next(request: HttpRequest) -> HttpResponse:
    window = _session_window(request)
    if window is None:
        messages.error(request, _("请先选择您所在的窗口。"))
        return redirect("hall:window")
    try:
        ticket = ticket_call_next(window=window, user=request.user)
    except OutOfScopeError:
        raise Http404 from None
    except TicketError as error:
        messages.error(request, str(error))
        return redirect("hall:window")
    if ticket is None:
        messages.info(request, _("现在没有等候的号。"))
    else:
        messages.success(request, _("已叫号 %(number)s。") % {"number": ticket.number})
    return redirect("hall:window")


def _done(request: HttpRequest, ticket: Ticket) -> Ticket:
    form = DoneForm(request.POST)
    if not form.is_valid():
        raise TicketError(" ".join(error for errors in form.errors.values() for error in errors))
    numbers = form.cleaned_data["tracking_numbers"]
    cases = list(window_cases(user=request.user).filter(tracking_no__in=numbers))
    missing = sorted(set(numbers) - {case.tracking_no for case in cases})
    if missing:
        raise TicketError(_("没有办件编号 %(numbers)s。") % {"numbers": "、".join(missing)})
    return ticket_done(ticket=ticket, user=request.user, cases=cases)


def _transfer(request: HttpRequest, ticket: Ticket) -> Ticket:
    form = TransferForm(request.POST, centre_id=ticket.centre_id)
    if not form.is_valid():
        raise TicketError(" ".join(error for errors in form.errors.values() for error in errors))
    return ticket_transfer(ticket=ticket, queue=form.cleaned_data["queue"], user=request.user)


ACTIONS: dict[str, Callable[[HttpRequest, Ticket], Ticket]] = {
    "recall": lambda request, ticket: ticket_recall(ticket=ticket, user=request.user),
    "no-show": lambda request, ticket: ticket_no_show(ticket=ticket, user=request.user),
    "start": lambda request, ticket: ticket_start(ticket=ticket, user=request.user),
    "done": _done,
    "transfer": _transfer,
}


@hall_clerk_required
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    ticket = get_object_or_404(tickets_for_clerk(user=request.user), pk=pk)
    try:
        result = handler(request, ticket)
    except OutOfScopeError:
        raise Http404 from None
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("号码 %(number)s：%(state)s。")
            % {"number": result.number, "state": result.get_state_display()},
        )
    return redirect("hall:window")
