"""Chinese working days: weekends, public holidays and the adjusted make-up workdays (调休).

Two sources, the first that knows a year wins:

1. a year a supervisor entered or imported from the State Council's announcement
   (``departments.WorkingCalendarYear``): its listed days as entered, every other day
   Monday to Friday;
2. ``chinese-calendar``, which knows the schedule year by year until its last release.

For a year neither knows (the schedule is published each November or December) we count
Monday to Friday, and log it once, so a due date in January is still computable in
November; when the year is entered, the open cases' due dates are recomputed
(``cases.services.calendar``) and the dashboard warns ahead of the known end
(``known_until``).

The entered years are read once per process and read again when they change: their
version is kept in Django's cache (Redis in full mode, shared by every process), so
asking costs one cache read per ``working_calendar()`` call; with the cache down, one
database read instead (a due date never waits for Redis). Loops take one snapshot
(``working_calendar()``) and ask it, not the module functions, day by day.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from dataclasses import dataclass, field

import chinese_calendar
from django.core.cache import cache

logger = logging.getLogger(__name__)

VERSION_CACHE_KEY = "cases:workdays:version"
# The cached version expires: a change whose announcement was lost (cache down at that
# moment) still reaches every process within this many seconds.
VERSION_TTL = 60


@functools.cache
def _warn_unknown_year(year: int) -> None:
    logger.warning("no holiday data for %s (not entered, not in chinese-calendar): Mon-Fri", year)


@functools.lru_cache(maxsize=8192)  # the library's schedule is fixed for the process's life
def _library_is_working_day(day: dt.date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def library_last_year() -> int:
    """The last year ``chinese-calendar`` has the State Council's schedule for."""
    return max(day.year for day in chinese_calendar.holidays)


@dataclass(frozen=True)
class WorkingCalendar:
    """The working days as known at one moment: the entered years over the library."""

    overrides: dict[dt.date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        entered = self.overrides.get(day)
        if entered is not None:
            return entered
        if day.year not in self.entered_years:
            known = _library_is_working_day(day)
            if known is not None:
                return known
            _warn_unknown_year(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted).

        Zero days means "today if today is a working day, else the next one"."""
        day = start
        if days == 0:
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
            return day
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if not later)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def known_until(self) -> dt.date:
        """The last day whose holidays are known (entered, or in the library)."""
        last_year = max([library_last_year(), *self.entered_years])
        return dt.date(last_year, 12, 31)


_lock = threading.Lock()
_loaded: dict[str, object] = {}  # "version" -> the version read, "calendar" -> its snapshot


def calendar_version_from_database() -> str:
    """Changes whenever an entered year is added, changed or removed."""
    from django.db.models import Count, Max

    from departments.models import WorkingCalendarYear

    figures = WorkingCalendarYear.objects.aggregate(count=Count("year"), last=Max("updated_at"))
    last = figures["last"].isoformat() if figures["last"] else "-"
    return f"{figures['count']}:{last}"


def calendar_changed() -> None:
    """Tell every process that the entered years changed (call after commit). If the
    cache is unreachable, the others see the change when their cached version expires."""
    try:
        cache.delete(VERSION_CACHE_KEY)
    except Exception:  # the cache backend's own errors (Redis down): see VERSION_TTL
        logger.warning("could not announce the new working calendar", exc_info=True)


def working_calendar_from_database() -> WorkingCalendar:
    """The entered years as the database holds them now (in the caller's transaction)."""
    from departments.models import WorkingCalendarDay, WorkingCalendarYear

    return WorkingCalendar(
        overrides=dict(WorkingCalendarDay.objects.values_list("date", "is_working_day")),
        entered_years=frozenset(WorkingCalendarYear.objects.values_list("year", flat=True)),
    )


def working_calendar() -> WorkingCalendar:
    """The current calendar: read again only when its version in the cache moved."""
    try:
        version = cache.get(VERSION_CACHE_KEY)
    except Exception:  # Redis down: a due date must not wait for it; ask the database
        logger.warning("cache unreachable: working calendar version from the database")
        return _snapshot(calendar_version_from_database())
    if version is None:
        version = calendar_version_from_database()
        try:
            cache.set(VERSION_CACHE_KEY, version, timeout=VERSION_TTL)
        except Exception:
            logger.warning("cache unreachable: working calendar version not cached")
    return _snapshot(version)


def _snapshot(version: str) -> WorkingCalendar:
    with _lock:
        if _loaded.get("version") != version:
            _loaded["calendar"] = working_calendar_from_database()
            _loaded["version"] = version
        return _loaded["calendar"]  # type: ignore[return-value]


def forget_loaded_calendar() -> None:
    """Drop this process's snapshot and the cached version (tests: the database rolled back)."""
    with _lock:
        _loaded.clear()
    calendar_changed()


def is_working_day(day: dt.date) -> bool:
    return working_calendar().is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    Zero days means "today if today is a working day, else the next one".
    """
    return working_calendar().add_working_days(start, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later)."""
    return working_calendar().working_days_between(start, end)
