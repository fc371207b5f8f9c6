"""What the supervisors see of the working-day calendar: the years entered, and how long
the known calendar still lasts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.workdays import library_last_year, working_calendar
from departments.models import WorkingCalendarYear

# The State Council announces the next year in November or December: warn this early.
WARN_DAYS_BEFORE_END = 60


@dataclass(frozen=True)
class CalendarHorizon:
    known_until: dt.date
    days_left: int
    library_last_year: int

    @property
    def needs_next_year(self) -> bool:
        return self.days_left <= WARN_DAYS_BEFORE_END


def calendar_horizon(*, today: dt.date | None = None) -> CalendarHorizon:
    today = today or timezone.localdate()
    known_until = working_calendar().known_until()
    return CalendarHorizon(
        known_until=known_until,
        days_left=(known_until - today).days,
        library_last_year=library_last_year(),
    )


def calendar_years() -> QuerySet[WorkingCalendarYear]:
    return WorkingCalendarYear.objects.select_related("entered_by").annotate(
        holidays=Count("days", filter=Q(days__is_working_day=False)),
        working_days=Count("days", filter=Q(days__is_working_day=True)),
    )
