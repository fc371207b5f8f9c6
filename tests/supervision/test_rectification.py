"""Bad ratings open rectification tasks due in 15 working days; call-backs; the list page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Rating
from cases.workdays import add_working_days
from departments.constants import Role
from supervision.constants import RectificationState
from supervision.models import Rectification
from supervision.services.rectification import (
    RectificationError,
    rectification_close,
    rectification_open_for_rating,
    rectification_record_callback,
)
from tests.factories import CaseFactory, StaffFactory
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


def rating(level: int, comment: str = "等了太久") -> Rating:
    return Rating.objects.create(case=CaseFactory(), level=level, comment=comment)


def test_an_unsatisfied_rating_opens_one_task_due_in_15_working_days():
    bad = rating(2)
    task = rectification_open_for_rating(rating=bad)
    rated_on = timezone.localtime(bad.created_at).date()
    assert task.due_date == add_working_days(rated_on, 15)
    assert task.state == RectificationState.OPEN
    assert rectification_open_for_rating(rating=bad).pk == task.pk  # idempotent
    assert Rectification.objects.count() == 1


def test_a_satisfied_rating_needs_no_rectification():
    with pytest.raises(RectificationError, match="3级"):
        rectification_open_for_rating(rating=rating(3))
    assert not Rectification.objects.exists()


def test_call_back_then_close(supervisor_user):
    task = rectification_open_for_rating(rating=rating(1))
    with pytest.raises(RectificationError, match="先回访"):
        rectification_close(rectification=task, actor=supervisor_user, note="已整改")
    with pytest.raises(RectificationError, match="回访记录"):
        rectification_record_callback(
            rectification=task, actor=supervisor_user, note="  ", is_applicant_satisfied=False
        )
    rectification_record_callback(
        rectification=task,
        actor=supervisor_user,
        note="电话回访，已致歉",
        is_applicant_satisfied=True,
    )
    task.refresh_from_db()
    assert task.state == RectificationState.CALLED_BACK
    closed = rectification_close(rectification=task, actor=supervisor_user, note="窗口增加人手")
    assert closed.state == RectificationState.CLOSED and closed.closed_by == supervisor_user
    with pytest.raises(RectificationError):
        rectification_record_callback(
            rectification=task, actor=supervisor_user, note="再次回访", is_applicant_satisfied=True
        )


@pytest.fixture
def supervisor_user():
    return StaffFactory(role=Role.SUPERVISOR)


def test_list_page_shows_open_tasks_with_deadlines_and_call_backs(
    client, supervisor_user, django_assert_max_num_queries
):
    late = rectification_open_for_rating(rating=rating(1, "态度差"))
    Rectification.objects.filter(pk=late.pk).update(due_date=dt.date(2025, 3, 3))
    rectification_record_callback(
        rectification=late, actor=supervisor_user, note="已电话致歉", is_applicant_satisfied=False
    )
    fresh = rectification_open_for_rating(rating=rating(2, "材料要求重复"))
    done = rectification_open_for_rating(rating=rating(1, "已处理的"))
    rectification_record_callback(
        rectification=done, actor=supervisor_user, note="满意", is_applicant_satisfied=True
    )
    rectification_close(rectification=done, actor=supervisor_user, note="已整改")
    sign_in(client, supervisor_user)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("supervision:rectifications"), {"state": "all"}).content.decode()
    assert "态度差" in body and "材料要求重复" in body and "已处理的" in body
    assert "已电话致歉" in body
    assert "超期" in body
    assert fresh.due_date.strftime("%Y-%m-%d") in body
    open_only = client.get(reverse("supervision:rectifications")).content.decode()
    assert "材料要求重复" in open_only and "已处理的" not in open_only
    assert "态度差" in open_only  # called back but not yet closed: still to do
    only_new = client.get(reverse("supervision:rectifications"), {"state": "open"}).content.decode()
    assert "材料要求重复" in only_new and "态度差" not in only_new


def test_list_page_is_for_supervisors_only(client):
    url = reverse("supervision:rectifications")
    assert client.get(url).status_code == 302
    sign_in(client, StaffFactory(role=Role.CLERK))
    assert client.get(url).status_code == 403


def test_supervisor_records_a_call_back_then_closes_the_task_from_the_page(client, supervisor_user):
    task = rectification_open_for_rating(rating=rating(1, "窗口态度差"))
    sign_in(client, supervisor_user)
    close_url = reverse("supervision:rectification_close", args=[task.pk])
    callback_url = reverse("supervision:rectification_callback", args=[task.pk])

    refused = client.post(close_url, {"note": "已整改", "state": "active"}, follow=True)
    task.refresh_from_db()
    assert task.state == RectificationState.OPEN
    assert "办结前必须先回访申请人。" in refused.content.decode()

    empty = client.post(callback_url, {"note": "  "}, follow=True)
    assert "请填写回访记录。" in empty.content.decode()
    assert not task.callbacks.exists()

    client.post(callback_url, {"note": "已电话致歉并说明整改", "satisfied": "1"})
    task.refresh_from_db()
    assert task.state == RectificationState.CALLED_BACK
    callback = task.callbacks.get()
    assert (callback.called_by, callback.is_applicant_satisfied) == (supervisor_user, True)

    page = client.post(close_url, {"note": "窗口人员已培训", "state": "all"}, follow=True)
    task.refresh_from_db()
    assert task.state == RectificationState.CLOSED
    assert task.closing_note == "窗口人员已培训"
    assert page.redirect_chain[-1][0].endswith("?state=all")
    assert "整改已办结。" in page.content.decode()


def test_only_supervisors_act_on_rectifications(client):
    task = rectification_open_for_rating(rating=rating(2))
    sign_in(client, StaffFactory(role=Role.CLERK))
    url = reverse("supervision:rectification_callback", args=[task.pk])
    assert client.post(url, {"note": "冒充回访"}).status_code == 403
    # Only a POST changes anything.
    assert client.get(url).status_code == 405
    assert not task.callbacks.exists()
