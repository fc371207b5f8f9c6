"""The hall's public pages (no sign-in): the kiosk, the phone page behind the hall's QR
code, a ticket's page, and the display with its JSON board.

Taking a ticket is throttled per trusted client address before anything is read; a
refused take shows the service's reason and writes nothing.
"""

from __future__ import annotations

import uuid

import segno
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from centres.models import Centre
from citizens.throttles import FailureLimit

from ..exceptions import TicketError
from ..forms import TakeForm
from ..models import Ticket
from ..selectors import centre_public_get, display_board, ticket_wait
from ..services.tickets import ticket_take
from ..throttles import KIOSK_TAKES, PHONE_TAKES, take_blocked, take_record


def _centre(code: str) -> Centre:
    centre = centre_public_get(code=code)
    if centre is None:
        raise Http404
    return centre


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _take_page(
    request: HttpRequest, code: str, *, limit: FailureLimit, template: str
) -> HttpResponse:
    """GET: the form; POST: throttle, validate, take, and show the ticket."""
    centre = _centre(code)
    context = {"centre": centre, "is_kiosk": limit is KIOSK_TAKES}
    if context["is_kiosk"]:
        take_url = request.build_absolute_uri(reverse("hall:take", args=[centre.code]))
        context["take_url"] = take_url
        context["take_qr"] = segno.make(take_url, error="m").svg_inline(scale=4, border=2)
    if request.method == "GET":
        return _no_store(render(request, template, {**context, "form": TakeForm(centre=centre)}))
    block = take_blocked(request=request, limit=limit)
    if block is not None:
        response = render(
            request, "hall/throttled.html", {**context, "message": block.message}, status=429
        )
        response.headers["Retry-After"] = str(block.retry_after)
        return _no_store(response)
    take_record(request=request, limit=limit)
    form = TakeForm(request.POST, centre=centre)
    if form.is_valid():
        try:
            ticket = ticket_take(
                queue=form.chosen_queue(),
                priority=form.cleaned_data["priority"],
                id_number=form.cleaned_data["id_number"],
            )
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            url = reverse("hall:ticket", args=[centre.code, ticket.token])
            return redirect(f"{url}?kiosk=1" if context["is_kiosk"] else url)
    return _no_store(render(request, template, {**context, "form": form}, status=400))


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, code: str) -> HttpResponse:
    return _take_page(request, code, limit=KIOSK_TAKES, template="hall/kiosk.html")


@require_http_methods(["GET", "POST"])
def take(request: HttpRequest, code: str) -> HttpResponse:
    return _take_page(request, code, limit=PHONE_TAKES, template="hall/take.html")


@require_GET
def ticket_page(request: HttpRequest, code: str, token: uuid.UUID) -> HttpResponse:
    """The ticket as the citizen keeps it: the token in the URL is the only key (no
    list of tickets anywhere), and the ID number is masked."""
    centre = _centre(code)
    ticket = get_object_or_404(
        Ticket.objects.select_related("queue", "window"), token=token, centre=centre
    )
    return _no_store(
        render(
            request,
            "hall/ticket.html",
            {
                "centre": centre,
                "ticket": ticket,
                "wait": ticket_wait(ticket=ticket),
                "is_kiosk": request.GET.get("kiosk") == "1",
            },
        )
    )


@require_GET
def display(request: HttpRequest, code: str) -> HttpResponse:
    centre = _centre(code)
    return render(
        request,
        "hall/display.html",
        {
            "centre": centre,
            "board": display_board(centre=centre),
            "board_url": reverse("hall:display_json", args=[centre.code]),
        },
    )


@require_GET
def display_json(request: HttpRequest, code: str) -> HttpResponse:
    """What the display polls (every 800 ms): the latest calls and the waiting counts."""
    centre = _centre(code)
    response = JsonResponse(display_board(centre=centre), json_dumps_params={"ensure_ascii": False})
    return _no_store(response)
