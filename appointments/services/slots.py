"""The slots a queue offers on a day: the centre's opening hours cut into slots of the
queue's length, on the days the working calendar lets the hall open.

Which hours a day has:
- a public holiday (a weekday off in the working calendar, a day entered as a holiday,
  or a holiday ``chinese-calendar`` names for a year nobody entered): closed, whatever
  the table says — even the city's Saturday morning in the National Day week;
- a weekend day worked in exchange (调休上班): the hours of an ordinary working day (the
  first of Monday…Friday the table lists), unless the table lists hours for that weekday;
- any other day: the table's hours for its weekday (none: closed).

A slot starts at an interval's start and every slot length after it, and must end by the
interval's end (a 30-minute rule in 13:30–17:30 gives 13:30 … 17:00).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar
from django.utils.translation import gettext as _

from cases.workdays import working_calendar
from centres.hours import Interval, opening_hours_parse
from centres.models import Centre, Queue

from ..constants import DEFAULT_CAPACITY, DEFAULT_DAYS_AHEAD, DEFAULT_SLOT_MINUTES
from ..models import SlotCounter, SlotRule


@dataclass(frozen=True)
class Rule:
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    capacity: int = DEFAULT_CAPACITY
    days_ahead: int = DEFAULT_DAYS_AHEAD


@dataclass(frozen=True)
class DayHours:
    """A centre's open intervals on one day; ``closed_reason`` says why there are none."""

    intervals: tuple[Interval, ...]
    closed_reason: str = ""
    is_holiday: bool = False


@dataclass(frozen=True)
class Slot:
    day: dt.date
    start: dt.time
    end: dt.time
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


def slot_rule_for(*, queue: Queue) -> Rule:
    """The queue's rule, or the defaults when none was set."""
    rule = SlotRule.objects.filter(queue=queue).first()
    if rule is None:
        return Rule()
    return Rule(slot_minutes=rule.slot_minutes, capacity=rule.capacity, days_ahead=rule.days_ahead)


def _is_public_holiday(day: dt.date) -> bool:
    calendar = working_calendar()
    if calendar.overrides.get(day) is False:
        return True
    if day.weekday() < 5 and not calendar.is_working_day(day):
        return True
    if day.year in calendar.entered_years:
        return False
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the library does not know: Monday to Friday
        return False
    return bool(is_holiday and name)


def day_hours(*, centre: Centre, day: dt.date) -> DayHours:
    """The centre's open intervals on ``day`` (see the module's docstring)."""
    table = opening_hours_parse(centre.opening_hours)
    if _is_public_holiday(day):
        return DayHours(
            (), _("%(day)s 是法定节假日，大厅不开放。") % {"day": day.isoformat()}, True
        )
    intervals = table.get(day.isoweekday(), [])
    if not intervals and day.weekday() >= 5 and working_calendar().is_working_day(day):
        intervals = next((table[weekday] for weekday in range(1, 6) if table.get(weekday)), [])
    if not intervals:
        return DayHours(
            (), _("%(centre)s %(day)s 不开放。") % {"centre": centre.name, "day": day.isoformat()}
        )
    return DayHours(tuple(intervals))


def slot_times(*, intervals: tuple[Interval, ...], minutes: int) -> list[Interval]:
    """The (start, end) of every slot the intervals hold."""
    length = dt.timedelta(minutes=minutes)
    times: list[Interval] = []
    for interval_start, interval_end in intervals:
        moment = dt.datetime.combine(dt.date.min, interval_start)
        last = dt.datetime.combine(dt.date.min, interval_end)
        while moment + length <= last:
            times.append((moment.time(), (moment + length).time()))
            moment += length
    return times


def slots_for(*, centre: Centre, queue: Queue, day: dt.date) -> list[Slot]:
    """Every slot of ``queue`` on ``day``, with its capacity and how many are booked
    (none on a day the hall is closed). Two queries whatever the number of slots."""
    hours = day_hours(centre=centre, day=day)
    if not hours.intervals:
        return []
    rule = slot_rule_for(queue=queue)
    booked = dict(SlotCounter.objects.filter(queue=queue, day=day).values_list("start", "booked"))
    return [
        Slot(day=day, start=start, end=end, capacity=rule.capacity, booked=booked.get(start, 0))
        for start, end in slot_times(intervals=hours.intervals, minutes=rule.slot_minutes)
    ]


def hours_text(intervals: tuple[Interval, ...]) -> str:
    """``09:00–12:00、13:30–17:30``: the day's hours as a refusal states them."""
    return "、".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in intervals)
