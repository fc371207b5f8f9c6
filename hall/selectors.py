"""Reads of the hall: the calling order, a ticket's place and wait, the display's board,
and the windows a clerk may sit at."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from centres.models import Centre, Queue, ServiceWindow
from centres.scope import user_centre

from .constants import DEFAULT_PRIORITY_ORDER, DEFAULT_SERVICE_MINUTES, TicketState
from .models import Call, HallRule, Ticket

DISPLAY_CALLS = 8


def hall_priority_order(*, centre: Centre | Any) -> list[str]:
    """The centre's order of priority kinds (its ``HallRule``, or the default one)."""
    centre_id = centre if isinstance(centre, int) else centre.pk
    order = (
        HallRule.objects.filter(centre_id=centre_id)
        .values_list("priority_order", flat=True)
        .first()
    )
    return list(order or DEFAULT_PRIORITY_ORDER)


def priority_rank(order: list[str]) -> Case:
    """0 for the kind called first; the ordinary ticket is last in every valid rule."""
    return Case(
        *(When(priority=kind, then=Value(rank)) for rank, kind in enumerate(order)),
        default=Value(len(order)),
        output_field=IntegerField(),
    )


def in_calling_order(tickets: QuerySet[Ticket], *, order: list[str]) -> QuerySet[Ticket]:
    """Priority rank first, then who took their ticket first (a transferred ticket keeps
    the time its holder first took one), then the row id as a stable tie-break."""
    return tickets.annotate(priority_rank=priority_rank(order)).order_by(
        "priority_rank", "taken_at", "pk"
    )


def waiting_tickets(*, queue_ids: list[int], day: dt.date) -> QuerySet[Ticket]:
    return Ticket.objects.filter(queue_id__in=queue_ids, day=day, state=TicketState.WAITING)


def ticket_position(*, ticket: Ticket) -> int:
    """How many waiting tickets of the same queue are called before this one (0 once it is
    called, or when it is next)."""
    if ticket.state != TicketState.WAITING:
        return 0
    order = hall_priority_order(centre=ticket.centre_id)
    rank = order.index(ticket.priority) if ticket.priority in order else len(order)
    ahead = (
        waiting_tickets(queue_ids=[ticket.queue_id], day=ticket.day)
        .annotate(priority_rank=priority_rank(order))
        .filter(
            Q(priority_rank__lt=rank)
            | Q(priority_rank=rank, taken_at__lt=ticket.taken_at)
            | Q(priority_rank=rank, taken_at=ticket.taken_at, pk__lt=ticket.pk)
        )
    )
    return ahead.count()


def queue_service_minutes(*, queue_id: int, day: dt.date) -> float:
    """The median service time (served_at → done_at) of the queue's tickets done that day,
    in minutes; ``DEFAULT_SERVICE_MINUTES`` before the first one is done. The median, not
    the mean: one two-hour real-estate case must not triple everyone's estimate."""
    spans = Ticket.objects.filter(
        queue_id=queue_id, day=day, state=TicketState.DONE, served_at__isnull=False
    ).values_list("served_at", "done_at")
    minutes = [(done - served).total_seconds() / 60 for served, done in spans if done and served]
    return statistics.median(minutes) if minutes else DEFAULT_SERVICE_MINUTES


def queue_window_count(*, queue_id: int) -> int:
    """Active windows that call this queue (at least 1, so an estimate always exists)."""
    return max(1, ServiceWindow.objects.filter(queues=queue_id, is_active=True).count())


@dataclass(frozen=True)
class TicketWait:
    position: int
    estimated_wait_minutes: int


def ticket_wait(*, ticket: Ticket) -> TicketWait:
    """Position × today's median service time of the queue ÷ the windows serving it,
    rounded up to whole minutes."""
    position = ticket_position(ticket=ticket)
    if position == 0:
        return TicketWait(0, 0)
    minutes = queue_service_minutes(queue_id=ticket.queue_id, day=ticket.day)
    windows = queue_window_count(queue_id=ticket.queue_id)
    return TicketWait(position, math.ceil(position * minutes / windows))


def centre_public_get(*, code: str) -> Centre | None:
    return Centre.objects.filter(code=code, is_active=True).first()


def centre_queues(*, centre: Centre) -> QuerySet[Queue]:
    return Queue.objects.filter(centre=centre, is_active=True).order_by("code")


def call_speech(number: str, window_number: int) -> str:
    """What the display says aloud, in Chinese whatever the page's language."""
    with override("zh-hans"):
        return _("请%(number)s号到%(window)s号窗口") % {"number": number, "window": window_number}


def display_board(*, centre: Centre) -> dict[str, Any]:
    """The display's data: the latest calls (newest first) and the waiting count per queue
    today. Two queries whatever the hall's size."""
    day = timezone.localdate()
    day_start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    calls = [
        {
            "id": call_id,
            "number": number,
            "window": window_number,
            "at": timezone.localtime(at).isoformat(timespec="seconds"),
            "speech": call_speech(number, window_number),
        }
        for call_id, number, window_number, at in Call.objects.filter(
            centre=centre, at__gte=day_start
        ).values_list("pk", "ticket__number", "window__number", "at")[:DISPLAY_CALLS]
    ]
    queues = centre_queues(centre=centre).annotate(
        waiting=Count("tickets", filter=Q(tickets__day=day, tickets__state=TicketState.WAITING))
    )
    return {
        "calls": calls,
        "waiting": {queue.code: queue.waiting for queue in queues},
        "queues": [
            {"code": queue.code, "name": queue.name, "waiting": queue.waiting} for queue in queues
        ],
    }


def windows_for_clerk(*, user: Any) -> QuerySet[ServiceWindow]:
    """The active windows a clerk may sit at: those of their own centre (not the centres
    below it: a county clerk does not call a town's hall); all of them for staff who work
    for the whole network."""
    windows = ServiceWindow.objects.filter(is_active=True, centre__is_active=True)
    centre = user_centre(user)
    if centre is not None:
        windows = windows.filter(centre=centre)
    return windows.select_related("centre").order_by("centre__path", "number")


def tickets_for_clerk(*, user: Any) -> QuerySet[Ticket]:
    """The tickets a clerk may act on: those of their own centre (everyone's for staff who
    work for the whole network)."""
    centre = user_centre(user)
    tickets = Ticket.objects.select_related("queue", "window", "centre")
    return tickets if centre is None else tickets.filter(centre=centre)


def window_tickets_open(*, window: ServiceWindow) -> QuerySet[Ticket]:
    """What the clerk at this window has in hand today: called or being served."""
    return (
        Ticket.objects.filter(
            window=window,
            day=timezone.localdate(),
            state__in=[TicketState.CALLED, TicketState.SERVING],
        )
        .select_related("queue")
        .order_by("first_called_at")
    )


def window_tickets_finished(*, window: ServiceWindow, limit: int = 20) -> list[Ticket]:
    return list(
        Ticket.objects.filter(window=window, day=timezone.localdate())
        .exclude(state__in=[TicketState.CALLED, TicketState.SERVING])
        .select_related("queue")
        .prefetch_related("cases")
        .order_by("-done_at")[:limit]
    )
