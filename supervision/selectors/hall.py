"""The halls' figures on the supervision dashboard (issue 17.6): tickets per hour, the
wait (taken → first call) on average and at the 90th percentile, service time per queue,
the no-show rate, and the same per centre one level down, for a part of the network.

Each figure is one grouped query over the tickets of the period (indexed by day and
centre); the wait and service times are kept in seconds on the ticket when they end, so
the percentile comes from a distribution grouped by minute in SQL, not from rows read
into Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Cast, ExtractHour
from django.utils import timezone

from centres.models import Centre
from centres.scope import subtree_filter
from hall.constants import TicketState
from hall.models import Ticket

from .centres import centre_owner
from .kpis import percentile

# Without a date filter the statistics cover the last 30 days.
DEFAULT_DAYS = 30
FINISHED = [TicketState.DONE, TicketState.NO_SHOW]


@dataclass
class QueueFigures:
    code: str
    name: str
    done: int
    average_service_minutes: float | None


@dataclass
class CentreHallFigures:
    centre: Centre
    tickets: int = 0
    no_shows: int = 0
    finished: int = 0
    wait_seconds_total: int = 0
    waits: int = 0

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.finished if self.finished else None

    @property
    def average_wait_minutes(self) -> float | None:
        return self.wait_seconds_total / self.waits / 60 if self.waits else None


@dataclass
class HallFigures:
    date_from: dt.date
    date_to: dt.date
    tickets: int = 0
    per_hour: list[tuple[int, int]] = field(default_factory=list)
    average_wait_minutes: float | None = None
    p90_wait_minutes: int | None = None
    no_shows: int = 0
    finished: int = 0
    queues: list[QueueFigures] = field(default_factory=list)
    centres: list[CentreHallFigures] = field(default_factory=list)

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.finished if self.finished else None


def _period(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    end = date_to or timezone.localdate()
    return date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1), end


def hall_tickets(
    *, centre_path: str | None, date_from: dt.date, date_to: dt.date
) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        subtree_filter(centre_path), day__gte=date_from, day__lte=date_to
    ).order_by()


def hall_figures(
    *,
    centre_path: str | None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    children: list[Centre] | None = None,
) -> HallFigures:
    """The figures of the tickets of the part of the network under ``centre_path`` (None:
    all of it) in the period, and of each of ``children``."""
    start, end = _period(date_from, date_to)
    figures = HallFigures(date_from=start, date_to=end)
    tickets = hall_tickets(centre_path=centre_path, date_from=start, date_to=end)
    totals = tickets.aggregate(
        tickets=Count("pk"),
        no_shows=Count("pk", filter=Q(state=TicketState.NO_SHOW)),
        finished=Count("pk", filter=Q(state__in=FINISHED)),
        wait=Avg("wait_seconds"),
    )
    figures.tickets = totals["tickets"]
    figures.no_shows, figures.finished = totals["no_shows"], totals["finished"]
    figures.average_wait_minutes = totals["wait"] / 60 if totals["wait"] is not None else None
    figures.per_hour = [
        (row["hour"], row["n"])
        for row in tickets.annotate(hour=ExtractHour("taken_at"))
        .values("hour")
        .annotate(n=Count("pk"))
        .order_by("hour")
    ]
    minutes = Cast("wait_seconds", IntegerField()) / 60
    distribution = {
        row["minute"]: row["n"]
        for row in tickets.filter(wait_seconds__isnull=False)
        .annotate(minute=minutes)
        .values("minute")
        .annotate(n=Count("pk"))
    }
    figures.p90_wait_minutes = percentile(distribution, 0.9)
    figures.queues = [
        QueueFigures(
            code=row["queue__code"],
            name=row["queue__name"],
            done=row["done"],
            average_service_minutes=row["service"] / 60 if row["service"] is not None else None,
        )
        for row in tickets.filter(state=TicketState.DONE)
        .values("queue__code", "queue__name")
        .annotate(done=Count("pk"), service=Avg("service_seconds"))
        .order_by("queue__code", "queue__name")
    ]
    figures.centres = _by_centre(tickets, children or [])
    return figures


def _by_centre(tickets: QuerySet[Ticket], children: list[Centre]) -> list[CentreHallFigures]:
    """One grouped query per centre of the subtree, summed into the child each lies under."""
    by_pk = {child.pk: CentreHallFigures(centre=child) for child in children}
    for row in (
        tickets.values("centre__path")
        .annotate(
            n=Count("pk"),
            no_shows=Count("pk", filter=Q(state=TicketState.NO_SHOW)),
            finished=Count("pk", filter=Q(state__in=FINISHED)),
            waits=Count("wait_seconds"),
            wait_total=Sum("wait_seconds"),
        )
        .order_by()
    ):
        owner = centre_owner(row["centre__path"], children)
        if owner is None:
            continue
        figures = by_pk[owner.pk]
        figures.tickets += row["n"]
        figures.no_shows += row["no_shows"]
        figures.finished += row["finished"]
        figures.waits += row["waits"]
        figures.wait_seconds_total += row["wait_total"] or 0
    return sorted(by_pk.values(), key=lambda figures: (-figures.tickets, figures.centre.path))
