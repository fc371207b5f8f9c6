"""The working-day calendar as data: a year entered by a supervisor overrides the library,
and the open due dates move across it, each with its reason recorded."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from cases.constants import ApprovalState, CaseState
from cases.models import CaseEvent
from cases.services.calendar import (
    CalendarEntry,
    CalendarEntryError,
    calendar_entries_parse,
    working_calendar_year_set,
)
from cases.workdays import add_working_days, is_working_day, working_calendar
from departments.constants import Role
from departments.models import WorkingCalendarDay, WorkingCalendarYear
from tests.factories import ApprovalFactory, CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commit(django_capture_on_commit_callbacks, monkeypatch):
    """Each entry commits (the test's own transaction never does): its after-commit
    callback, which tells every process the calendar moved, runs as the call ends."""
    import cases.services.calendar as calendar

    real = calendar.working_calendar_year_set

    def set_and_commit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real(**kwargs)

    monkeypatch.setitem(globals(), "working_calendar_year_set", set_and_commit)


# A year no library release knows yet, so the tests hold whatever day they run on.
SPRING_FESTIVAL_2035 = """
# 国务院办公厅关于2035年部分节假日安排的通知（测试用）
2035-02-05 休 春节
2035-02-06 休 春节
2035-02-07 休 春节
2035-02-10 班 春节调休
"""
SOURCE = "国务院办公厅关于2035年部分节假日安排的通知"


def enter_2035(actor=None):
    return working_calendar_year_set(
        year=2035,
        entries=calendar_entries_parse(text=SPRING_FESTIVAL_2035),
        source=SOURCE,
        actor=actor,
    )


def test_an_unknown_year_counts_monday_to_friday_until_it_is_entered():
    assert is_working_day(dt.date(2035, 2, 5))  # a Monday
    assert not is_working_day(dt.date(2035, 2, 10))  # a Saturday
    enter_2035()
    assert not is_working_day(dt.date(2035, 2, 5))
    assert is_working_day(dt.date(2035, 2, 10))
    assert is_working_day(dt.date(2035, 2, 8))  # not listed: Monday to Friday
    assert add_working_days(dt.date(2035, 2, 2), 1) == dt.date(2035, 2, 8)


def test_an_entered_year_overrides_the_library():
    assert not is_working_day(dt.date(2026, 10, 1))  # National Day, from the library
    working_calendar_year_set(
        year=2026,
        entries=[CalendarEntry(dt.date(2026, 10, 1), True, "测试：改为上班")],
        source="测试",
        actor=None,
    )
    assert is_working_day(dt.date(2026, 10, 1))
    # Its other days are Monday to Friday now, as the entered year says.
    assert is_working_day(dt.date(2026, 10, 2))


def test_a_holiday_entered_moves_the_due_dates_of_open_cases_across_it():
    supervisor = StaffFactory(role=Role.SUPERVISOR)
    case = CaseFactory(state=CaseState.IN_REVIEW, due_date=dt.date(2035, 2, 9))
    approval = ApprovalFactory(
        case=case, state=ApprovalState.IN_REVIEW, due_date=dt.date(2035, 2, 9)
    )
    before_holiday = ApprovalFactory(
        case=case, state=ApprovalState.IN_REVIEW, due_date=dt.date(2035, 1, 31)
    )
    decided = ApprovalFactory(case=case, state=ApprovalState.APPROVED, due_date=dt.date(2035, 2, 9))
    closed = CaseFactory(state=CaseState.CLOSED, due_date=dt.date(2035, 2, 9))

    result = enter_2035(actor=supervisor)

    # Three days off inside the window, one Saturday worked: the Friday promise keeps its
    # working days by moving to Saturday 10, Monday 12 and Tuesday 13 February.
    case.refresh_from_db()
    approval.refresh_from_db()
    assert case.due_date == approval.due_date == dt.date(2035, 2, 13)
    for untouched, due in ((before_holiday, dt.date(2035, 1, 31)), (decided, dt.date(2035, 2, 9))):
        untouched.refresh_from_db()
        assert untouched.due_date == due
    closed.refresh_from_db()
    assert closed.due_date == dt.date(2035, 2, 9)
    assert (result.cases_moved, result.approvals_moved) == (1, 1)
    # Why, in the case's public record.
    event = CaseEvent.objects.get(case=case, name="recompute_due_dates")
    assert event.is_public and event.actor == supervisor
    assert "2035-02-09" in event.note and "2035-02-13" in event.note and SOURCE in event.note
    assert event.data["case"] == ["2035-02-09", "2035-02-13"]
    assert event.data["approvals"] == {str(approval.pk): ["2035-02-09", "2035-02-13"]}
    assert not CaseEvent.objects.filter(case=closed).exists()


def test_entering_the_year_again_replaces_it_and_moves_dates_back():
    case = CaseFactory(state=CaseState.ACCEPTED, due_date=dt.date(2035, 2, 9))
    enter_2035()
    working_calendar_year_set(
        year=2035,
        entries=calendar_entries_parse(text="2035-03-01 休 测试"),
        source=SOURCE,
        actor=None,
    )
    case.refresh_from_db()
    assert case.due_date == dt.date(2035, 2, 9)  # the Spring Festival entry is gone again
    assert list(WorkingCalendarDay.objects.values_list("date", flat=True)) == [dt.date(2035, 3, 1)]
    assert CaseEvent.objects.filter(case=case, name="recompute_due_dates").count() == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2035-02-05", "第 1 行：应为「日期 休/班 名称」"),
        ("\n2035-02-30 休 春节", "第 2 行：日期「2035-02-30」不是 YYYY-MM-DD 格式的日期。"),
        ("2035-02-05 假 春节", "第 1 行：「假」应为「休」（放假）或「班」（调休上班）。"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_written(text, message):
    with pytest.raises(CalendarEntryError, match=message):
        working_calendar_year_set(
            year=2035, entries=calendar_entries_parse(text=text), source=SOURCE, actor=None
        )
    assert not WorkingCalendarYear.objects.exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([CalendarEntry(dt.date(2036, 1, 1), False)], "2036-01-01 不在 2035 年内。"),
        (
            [CalendarEntry(dt.date(2035, 1, 1), False), CalendarEntry(dt.date(2035, 1, 1), True)],
            "2035-01-01 录入了两次。",
        ),
        ([], "请至少录入一天"),
    ],
)
def test_entries_outside_the_year_or_twice_are_refused(entries, message):
    case = CaseFactory(state=CaseState.ACCEPTED, due_date=dt.date(2035, 2, 9))
    with pytest.raises(CalendarEntryError, match=message):
        working_calendar_year_set(year=2035, entries=entries, source=SOURCE, actor=None)
    case.refresh_from_db()
    assert case.due_date == dt.date(2035, 2, 9)
    assert not WorkingCalendarYear.objects.exists()


def test_every_process_sees_the_new_year_once_its_version_moves():
    calendar = working_calendar()
    assert working_calendar() is calendar  # one snapshot while nothing changes
    enter_2035()
    assert working_calendar() is not calendar
    assert working_calendar().known_until() == dt.date(2035, 12, 31)


def test_the_import_command(tmp_path):
    path = tmp_path / "2035.txt"
    path.write_text(SPRING_FESTIVAL_2035, encoding="utf-8")
    call_command("import_calendar", "2035", str(path), "--source", SOURCE)
    assert WorkingCalendarYear.objects.get().source == SOURCE
    assert WorkingCalendarDay.objects.count() == 4
    path.write_text("2035-02-05 x", encoding="utf-8")
    with pytest.raises(CommandError, match="第 1 行"):
        call_command("import_calendar", "2035", str(path), "--source", SOURCE)


def test_due_dates_are_computed_while_the_cache_is_down(settings):
    from tools.servers import free_port

    enter_2035()
    # Django's Redis cache pointed at a port nobody listens on: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    assert not is_working_day(dt.date(2035, 2, 5))
    assert add_working_days(dt.date(2035, 2, 2), 1) == dt.date(2035, 2, 8)
