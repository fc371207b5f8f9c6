import datetime as dt

import pytest

from cases.workdays import add_working_days, is_working_day, working_days_between

# The calendar reads the holiday years entered in the database (none here).
pytestmark = pytest.mark.django_db


def test_national_day_week_is_not_worked_and_the_make_up_saturday_is():
    # 2026: 1–7 October off, Saturday 10 October a make-up workday.
    assert not is_working_day(dt.date(2026, 10, 1))
    assert not is_working_day(dt.date(2026, 10, 7))
    assert is_working_day(dt.date(2026, 10, 10))


def test_adding_working_days_skips_the_holiday():
    # Wednesday 30 September + 1 working day → Thursday 8 October, the first day back;
    # + 3 → Saturday 10 October, the make-up workday.
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)  # Friday → Monday


def test_zero_days_means_the_next_working_day():
    assert add_working_days(dt.date(2026, 11, 21), 0) == dt.date(2026, 11, 23)
    assert add_working_days(dt.date(2026, 11, 23), 0) == dt.date(2026, 11, 23)


def test_years_without_published_holidays_count_monday_to_friday():
    assert add_working_days(dt.date(2026, 12, 31), 2) == dt.date(2027, 1, 4)
    assert not is_working_day(dt.date(2027, 1, 2))  # a Saturday


def test_working_days_between():
    assert working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 27)) == 5
    assert working_days_between(dt.date(2026, 11, 27), dt.date(2026, 11, 20)) == 0
