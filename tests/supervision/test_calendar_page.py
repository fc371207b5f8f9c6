"""/supervision/calendar/: a supervisor enters next year's holidays; the dashboard warns
60 days before the known calendar ends."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.constants import CaseState
from cases.models import CaseEvent
from departments.constants import Role
from departments.models import WorkingCalendarYear
from supervision.selectors.calendar import calendar_horizon
from tests.factories import CaseFactory, DepartmentFactory, StaffFactory
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

LINES = "2035-02-05 休 春节\n2035-02-06 休 春节\n2035-02-07 休 春节\n2035-02-10 班 春节调休\n"
SOURCE = "国务院办公厅关于2035年部分节假日安排的通知"


@pytest.fixture
def supervisor_client(client):
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    return client


def test_a_supervisor_enters_a_year_and_open_due_dates_move(
    supervisor_client, django_capture_on_commit_callbacks
):
    case = CaseFactory(state=CaseState.IN_REVIEW, due_date=dt.date(2035, 2, 9))
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            reverse("supervision:calendar"),
            {"year": 2035, "source": SOURCE, "entries": LINES},
        )
    assert response.status_code == 302
    page = supervisor_client.get(reverse("supervision:calendar")).content.decode()
    assert "2035 年节假日安排已保存；1 件办件、0 项审批的承诺办结日期已按新安排重新计算。" in page
    assert SOURCE in page
    case.refresh_from_db()
    assert case.due_date == dt.date(2035, 2, 13)
    assert CaseEvent.objects.filter(case=case, name="recompute_due_dates").exists()


def test_a_year_can_be_imported_from_a_file(supervisor_client):
    upload = SimpleUploadedFile("2035.txt", ("\ufeff" + LINES).encode("utf-8"))
    response = supervisor_client.post(
        reverse("supervision:calendar"), {"year": 2035, "source": SOURCE, "file": upload}
    )
    assert response.status_code == 302
    assert WorkingCalendarYear.objects.get().days.count() == 4


def test_a_bad_line_is_shown_with_its_number_and_nothing_is_saved(supervisor_client):
    case = CaseFactory(state=CaseState.IN_REVIEW, due_date=dt.date(2035, 2, 9))
    response = supervisor_client.post(
        reverse("supervision:calendar"),
        {"year": 2035, "source": SOURCE, "entries": LINES + "2035-13-01 休 错误\n"},
    )
    assert response.status_code == 400
    assert "第 5 行：日期「2035-13-01」不是 YYYY-MM-DD 格式的日期。" in response.content.decode()
    assert not WorkingCalendarYear.objects.exists()
    case.refresh_from_db()
    assert case.due_date == dt.date(2035, 2, 9)


def test_only_supervisors_may_enter_a_year(client):
    reviewer = StaffFactory(role=Role.REVIEWER, department=DepartmentFactory(code="A"))
    sign_in(client, reviewer)
    response = client.post(
        reverse("supervision:calendar"), {"year": 2035, "source": SOURCE, "entries": LINES}
    )
    assert response.status_code == 403
    assert not WorkingCalendarYear.objects.exists()


def test_the_dashboard_warns_60_days_before_the_known_calendar_ends(supervisor_client):
    horizon = calendar_horizon()
    known_until = horizon.known_until
    assert calendar_horizon(today=known_until - dt.timedelta(days=61)).needs_next_year is False
    assert calendar_horizon(today=known_until - dt.timedelta(days=60)).needs_next_year is True
    page = supervisor_client.get(reverse("supervision:dashboard")).content.decode()
    warned = 'id="calendar-warning"' in page
    assert warned is horizon.needs_next_year
    if warned:
        assert known_until.isoformat() in page


def test_entering_the_next_year_ends_the_warning(
    supervisor_client, django_capture_on_commit_callbacks
):
    year = calendar_horizon().known_until.year + 1
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(
            reverse("supervision:calendar"),
            {"year": year, "source": "通知", "entries": f"{year}-01-01 休 元旦"},
        )
    horizon = calendar_horizon()
    assert horizon.known_until == dt.date(year, 12, 31)
    page = supervisor_client.get(reverse("supervision:dashboard")).content.decode()
    assert 'id="calendar-warning"' not in page
