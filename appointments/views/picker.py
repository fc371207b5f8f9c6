"""Choosing a slot without JavaScript: a GET form picks the centre, the queue and the
day, and the page then lists that day's slots to book (CSP allows no inline script, and
a plain form works on any phone)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from centres.models import Centre, Queue

from ..selectors import bookable_queues
from ..services.slots import Slot, day_hours, slot_rule_for, slots_for


@dataclass
class DayChoice:
    day: dt.date
    closed_reason: str


@dataclass
class ShownSlot:
    slot: Slot
    is_past: bool

    @property
    def is_bookable(self) -> bool:
        return not self.is_past and self.slot.free > 0


@dataclass
class Picker:
    centres: list[Centre]
    centre: Centre | None = None
    queues: list[Queue] = field(default_factory=list)
    queue: Queue | None = None
    days: list[DayChoice] = field(default_factory=list)
    day: dt.date | None = None
    slots: list[ShownSlot] = field(default_factory=list)
    closed_reason: str = ""


def _day(text: str, days: list[DayChoice]) -> dt.date | None:
    try:
        wanted = dt.date.fromisoformat(text)
    except ValueError:
        wanted = None
    open_days = [choice.day for choice in days if not choice.closed_reason]
    if wanted in {choice.day for choice in days}:
        return wanted
    return open_days[0] if open_days else None


def _chosen(code: str, choices: list, default=None):  # type: ignore[no-untyped-def]
    """The choice whose ``code`` was asked for, else ``default`` if offered, else the first."""
    by_code = {choice.code: choice for choice in choices}
    if code in by_code:
        return by_code[code]
    if default is not None and default in choices:
        return default
    return choices[0] if choices else None


def _days(*, centre: Centre, queue: Queue, today: dt.date) -> list[DayChoice]:
    rule = slot_rule_for(queue=queue)
    days = [today + dt.timedelta(days=offset) for offset in range(rule.days_ahead + 1)]
    return [DayChoice(day, day_hours(centre=centre, day=day).closed_reason) for day in days]


def picker_build(
    *, data: Mapping[str, str], centres: QuerySet[Centre], default: Centre | None = None
) -> Picker:
    """What the page offers for the choices in ``data`` (centre, queue, day codes); a
    choice that is not offered falls back to the first one that is."""
    picker = Picker(centres=list(centres))
    picker.centre = _chosen(data.get("centre", ""), picker.centres, default)
    if picker.centre is None:
        return picker
    picker.queues = list(bookable_queues(centre=picker.centre))
    picker.queue = _chosen(data.get("queue", ""), picker.queues)
    if picker.queue is None:
        return picker
    now = timezone.localtime()
    picker.days = _days(centre=picker.centre, queue=picker.queue, today=now.date())
    picker.day = _day(data.get("day", ""), picker.days)
    if picker.day is None:
        return picker
    picker.closed_reason = next(
        (choice.closed_reason for choice in picker.days if choice.day == picker.day), ""
    )
    picker.slots = [
        ShownSlot(slot, timezone.make_aware(dt.datetime.combine(slot.day, slot.start)) <= now)
        for slot in slots_for(centre=picker.centre, queue=picker.queue, day=picker.day)
    ]
    return picker
