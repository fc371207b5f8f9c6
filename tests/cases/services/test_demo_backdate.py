"""The demo's ageing of a case: the clocks have run exactly the asked working days,
whatever day the demo is loaded on (the amber and overdue stories depend on it)."""

import datetime as dt

import pytest

from cases.services.demo.backdate import backdated_start
from cases.workdays import working_calendar

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("working_days", [1, 9, 14, 22])
def test_the_clock_has_run_the_asked_days_on_every_day_of_the_year(working_days):
    calendar = working_calendar()
    today = dt.date(2026, 1, 1)
    while today.year == 2026:
        start = backdated_start(today=today, working_days=working_days, calendar=calendar)
        assert calendar.is_working_day(start), (today, start)
        assert calendar.working_days_between(start, today) == working_days, (today, start)
        # The latest such day: the next working day after it would leave one day short.
        later = calendar.add_working_days(start, 1)
        assert calendar.working_days_between(later, today) == working_days - 1, (today, start)
        today += dt.timedelta(days=1)


def test_a_saturday_counts_back_from_friday():
    # Saturday 5 December 2026: 14 working days are 14 to Friday 4 December inclusive.
    calendar = working_calendar()
    start = backdated_start(today=dt.date(2026, 12, 5), working_days=14, calendar=calendar)
    assert start == dt.date(2026, 11, 16)  # a Monday; 17 November … 4 December are 14
    # On the weekday before, the same span ends on that day itself.
    friday = backdated_start(today=dt.date(2026, 12, 4), working_days=14, calendar=calendar)
    assert friday == dt.date(2026, 11, 16)
