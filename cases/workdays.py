"""Chinese working days: weekends, public holidays and the adjusted make-up workdays (调休).

``chinese-calendar`` knows the State Council's schedule year by year and
refuses years it has no data for (the schedule is published each December).
For such a year we count Monday to Friday, and log it once, so a due date in
January is still computable in November; it is recomputed the same way later,
so no stored date silently changes meaning.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

import chinese_calendar

logger = logging.getLogger(__name__)


@functools.cache
def _warn_unknown_year(year: int) -> None:
    logger.warning("chinese-calendar has no holiday data for %s; counting Monday to Friday", year)


@functools.lru_cache(maxsize=4096)  # the schedule is fixed for the life of the process
def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    Zero days means "today if today is a working day, else the next one".
    """
    day = start
    if days == 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        return day
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
