"""/me/ shows the next steps of each open case; /me/notifications/ edits the preferences."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import ApprovalState, CaseState
from cases.models import Rating
from cases.services.intake.notices import case_request_materials
from notifications.models import NotificationPreference
from notifications.selectors import next_steps
from tests.citizens.conftest import sign_in_as
from tests.factories import ApprovalFactory

from .conftest import make_case

pytestmark = pytest.mark.django_db


def test_me_home_shows_what_to_do_next(client, owner, item, licence_material):
    waiting = make_case(owner, item)
    case_request_materials(case=waiting, missing=["M_LAYOUT"])
    suspended = make_case(owner, item, state=CaseState.SUSPENDED)
    ApprovalFactory(
        case=suspended,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["M_LAYOUT"],
        suspended_at=timezone.now(),
    )
    in_review = make_case(owner, item, state=CaseState.IN_REVIEW)
    to_rate = make_case(owner, item, state=CaseState.CLOSED)
    rated = make_case(owner, item, state=CaseState.CLOSED)
    Rating.objects.create(case=rated, level=5)
    page = sign_in_as(client, owner).get("/me/").content.decode()
    assert "下一步要做什么" in page
    assert "补齐材料：经营场所平面图" in page
    deadline = (timezone.localdate() + dt.timedelta(days=15)).isoformat()
    assert "为「食品经营许可」上传补正材料：经营场所平面图" in page and f"{deadline} 前" in page
    assert "无需操作，正在办理" in page
    assert "为本次办理评价" in page
    for case in (waiting, suspended, in_review, to_rate):
        assert f'data-case="{case.tracking_no}"' in page
    assert f'data-case="{rated.tracking_no}"' not in page
    assert 'href="/me/notifications/"' in page


def test_next_steps_cost_a_fixed_number_of_queries(owner, item, django_assert_max_num_queries):
    for state in (CaseState.ISSUED, CaseState.IN_DELIVERY, CaseState.DENIED, CaseState.DRAFT) * 3:
        make_case(owner, item, state=state)
    with django_assert_max_num_queries(5):
        steps = next_steps(owner)
    texts = {step.text for entry in steps for step in entry.steps}
    assert "到受理窗口领取结果，或等待寄递" in texts and "完成网上申请并提交" in texts
    assert "查看不予许可的理由" in texts


def test_another_persons_cases_are_not_shown(client, owner, item):
    from tests.factories import ApplicantFactory

    other = make_case(ApplicantFactory(), item)
    page = sign_in_as(client, owner).get("/me/").content.decode()
    assert other.tracking_no not in page and "目前没有需要您办理的事项" in page


def test_preferences_page_needs_sign_in(client):
    response = client.get("/me/notifications/")
    assert response.status_code == 302 and "/me/sign-in/" in response["Location"]


def test_citizen_switches_email_on_and_sms_off(client, owner):
    signed_in = sign_in_as(client, owner)
    assert signed_in.get("/me/notifications/").status_code == 200
    response = signed_in.post(
        "/me/notifications/", {"email_enabled": "on", "email": "xm@example.cn"}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(applicant=owner)
    assert (preference.sms_enabled, preference.email_enabled, preference.email) == (
        False,
        True,
        "xm@example.cn",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email_enabled": "on", "email": ""}, "接收电子邮件需要填写电子邮箱。"),
        ({"email_enabled": "on", "email": "not-an-address"}, "请输入有效的电子邮箱地址"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(client, owner, data, message):
    NotificationPreference.objects.create(applicant=owner, sms_enabled=True)
    response = sign_in_as(client, owner).post("/me/notifications/", {"sms_enabled": "", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    preference = NotificationPreference.objects.get(applicant=owner)
    assert preference.sms_enabled and not preference.email_enabled and preference.email == ""
