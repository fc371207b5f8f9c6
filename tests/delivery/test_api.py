"""The delivery API: the clerk's parcel, and the courier companies' signed webhook."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.constants import CaseState, DeliveryStatus
from cases.models import CaseEvent, CourierEvent, Delivery
from cases.services.delivery import delivery_create, webhook_signature
from tests.factories import CaseFactory

from .conftest import ADDRESS, WEBHOOK_SECRETS, parcel

pytestmark = pytest.mark.django_db

WEBHOOK_URL = "/api/v1/deliveries/webhook/"


def delivery_url(case):
    return f"/api/v1/cases/{case.tracking_no}/delivery/"


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


BODY = {
    "courier": "EMS",
    "waybill": "EE123456785CN",
    "recipient": "张三丰",
    "phone": "13800138000",
    "address": ADDRESS,
}


# --- POST /api/v1/cases/<tracking_no>/delivery/ ---


def test_clerk_creates_a_delivery_with_a_token(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(clerk).post(delivery_url(issued_case), BODY, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["tracking_no"] == issued_case.tracking_no
    assert answer["case_state"] == CaseState.IN_DELIVERY
    assert answer["status"] == DeliveryStatus.CREATED
    assert answer["booking_status"] in ("pending", "booked")
    assert answer["waybill"] == "EE123456785CN"
    # The full phone number and name are not needed to follow a parcel.
    assert answer["phone"] == "138****8000"
    assert answer["recipient"] == "张*丰"
    assert answer["address"]["detail"] == ADDRESS["detail"]
    delivery = Delivery.objects.get()
    assert delivery.phone == "13800138000"
    # The courier's order went out after commit.
    assert delivery.booking_status == "booked"


def test_repeating_the_call_returns_the_same_parcel(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    client = token_client(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(delivery_url(issued_case), BODY, format="json")
        second = client.post(delivery_url(issued_case), BODY, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize("who", ["citizen", "reviewer", "agent", "supervisor"])
def test_only_clerks_may_create_a_delivery(request, issued_case, who):
    user = request.getfixturevalue(who)
    response = token_client(user).post(delivery_url(issued_case), BODY, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "只有综合窗口人员可以安排寄递。"
    assert not Delivery.objects.exists()
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED


def test_anonymous_caller_is_asked_to_authenticate(issued_case):
    response = APIClient().post(delivery_url(issued_case), BODY, format="json")
    assert response.status_code == 401
    assert not Delivery.objects.exists()


def test_unknown_case_is_404(clerk):
    response = token_client(clerk).post("/api/v1/cases/NOPE/delivery/", BODY, format="json")
    assert response.status_code == 404


def test_wrong_fields_answer_400_per_field_and_change_nothing(issued_case, clerk):
    body = {
        **BODY,
        "waybill": "EE123456786CN",
        "phone": "555",
        "address": {**ADDRESS, "city": "", "postal_code": "abc"},
    }
    response = token_client(clerk).post(delivery_url(issued_case), body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "第11位应为 5，而不是 6" in errors["waybill"][0]
    assert "收件电话「555」无效" in errors["phone"][0]
    assert errors["address"] == {
        "city": ["请填写市（州、盟）。"],
        "postal_code": ["邮编应为6位数字。"],
    }
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED
    assert not Delivery.objects.exists()


def test_missing_keys_answer_400(issued_case, clerk):
    response = token_client(clerk).post(
        delivery_url(issued_case), {"courier": "EMS"}, format="json"
    )
    assert response.status_code == 400
    assert {"waybill", "recipient", "phone", "address"} <= set(response.json())


def test_a_number_for_a_text_field_is_a_400_and_a_form_a_415(issued_case, clerk):
    """As the schema says: text fields take text, and the body is JSON (the address is a
    nested object, which a form cannot carry)."""
    client = token_client(clerk)
    response = client.post(delivery_url(issued_case), {**BODY, "phone": 13800138000}, format="json")
    assert response.status_code == 400
    assert response.json() == {"phone": ["不是有效的字符串。"]}
    form = {key: value for key, value in BODY.items() if key != "address"}
    assert client.post(delivery_url(issued_case), form, format="multipart").status_code == 415
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED
    assert not Delivery.objects.exists()


def test_a_case_not_ready_to_send_answers_409(clerk):
    case = CaseFactory(state=CaseState.IN_REVIEW)
    response = token_client(clerk).post(delivery_url(case), BODY, format="json")
    assert response.status_code == 409
    assert "不能寄出" in response.json()["detail"]


# --- POST /api/v1/deliveries/webhook/ ---


@pytest.fixture
def sent(issued_case, clerk, webhook_secrets, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = delivery_create(case=issued_case, actor=clerk, **parcel())
    return delivery


def event(**overrides):
    values = {
        "event_id": "ems-evt-1",
        "waybill": "EE123456785CN",
        "status": "shipped",
        "occurred_at": timezone.now().isoformat(),
    }
    values.update(overrides)
    return values


def post_webhook(payload, *, courier="EMS", secret=None, timestamp=None, signature=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"HTTP_X_ONEWINDOW_COURIER": courier, "HTTP_X_ONEWINDOW_TIMESTAMP": timestamp}
    if signature is None:
        signature = webhook_signature(
            secret=secret or WEBHOOK_SECRETS.get(courier, "x"), timestamp=timestamp, body=body
        )
    if signature:
        headers["HTTP_X_ONEWINDOW_SIGNATURE"] = signature
    return APIClient().post(WEBHOOK_URL, body, content_type="application/json", **headers)


def test_signed_shipped_event_is_applied(sent):
    response = post_webhook(event())
    assert response.status_code == 200, response.json()
    assert response.json() == {"waybill": "EE123456785CN", "status": "shipped", "duplicate": False}
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.SHIPPED
    assert sent.history[-1]["source"] == "webhook:EMS"
    assert CourierEvent.objects.get().event_id == "ems-evt-1"


def test_signed_delivered_event_closes_the_case(sent, issued_case):
    signed_at = (timezone.now() - dt.timedelta(minutes=5)).replace(microsecond=0)
    response = post_webhook(
        event(status="delivered", signed_by="张三", signed_at=signed_at.isoformat())
    )
    assert response.status_code == 200, response.json()
    sent.refresh_from_db()
    issued_case.refresh_from_db()
    assert (sent.status, sent.signed_by, sent.delivered_at) == ("delivered", "张三", signed_at)
    assert issued_case.state == CaseState.CLOSED
    event_row = CaseEvent.objects.get(case=issued_case, name="deliver")
    assert event_row.actor is None and event_row.actor_label == "快递回调（EMS）"


def test_delivered_event_without_signer_is_refused(sent, issued_case):
    response = post_webhook(event(status="delivered"))
    assert response.status_code == 400
    assert set(response.json()) == {"signed_by", "signed_at"}
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.CREATED
    assert not CourierEvent.objects.exists()


def test_failed_event_puts_the_case_back_in_the_window_queue(sent, issued_case):
    response = post_webhook(event(status="failed", reason="地址无法投递"))
    assert response.status_code == 200
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED
    assert CaseEvent.objects.get(case=issued_case, name="return_to_window").note == "地址无法投递"


def assert_nothing_changed(delivery, case):
    delivery.refresh_from_db()
    case.refresh_from_db()
    assert delivery.status == DeliveryStatus.CREATED
    assert case.state == CaseState.IN_DELIVERY
    assert not CourierEvent.objects.exists()


def test_unsigned_call_is_401_and_changes_nothing(sent, issued_case):
    response = post_webhook(
        event(status="delivered", signed_by="x", signed_at="2025-01-01T00:00:00+08:00"),
        signature="",
    )
    assert response.status_code == 401
    assert "缺少签名" in response.json()["detail"]
    assert_nothing_changed(sent, issued_case)


def test_badly_signed_call_is_401_and_changes_nothing(sent, issued_case):
    response = post_webhook(event(status="failed"), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["detail"] == "签名不正确，回调未被接受。"
    assert response["WWW-Authenticate"] == 'HMAC-SHA256 header="X-OneWindow-Signature"'
    assert_nothing_changed(sent, issued_case)


def test_body_changed_after_signing_is_401(sent, issued_case):
    timestamp = str(int(time.time()))
    signed = json.dumps(event()).encode()
    signature = webhook_signature(secret=WEBHOOK_SECRETS["EMS"], timestamp=timestamp, body=signed)
    tampered = json.dumps(event(status="failed")).encode()
    response = post_webhook(tampered, timestamp=timestamp, signature=signature)
    assert response.status_code == 401
    assert_nothing_changed(sent, issued_case)


def test_another_couriers_secret_does_not_sign_for_ems(sent, issued_case):
    response = post_webhook(event(status="failed"), secret=WEBHOOK_SECRETS["SF"])
    assert response.status_code == 401
    assert_nothing_changed(sent, issued_case)


def test_courier_without_a_secret_is_401(sent, issued_case):
    response = post_webhook(event(status="failed"), courier="JD", secret="guess")
    assert response.status_code == 401
    assert_nothing_changed(sent, issued_case)


def test_replayed_old_call_is_400_and_changes_nothing(sent, issued_case):
    old = str(int(time.time()) - 3600)
    response = post_webhook(event(status="failed"), timestamp=old)
    assert response.status_code == 400
    assert "视为重放" in response.json()["detail"]
    assert_nothing_changed(sent, issued_case)


def test_repeat_of_the_same_event_is_acknowledged_and_changes_nothing(sent, issued_case):
    payload = event(status="failed", reason="无人签收")
    assert post_webhook(payload).status_code == 200
    history = Delivery.objects.get(pk=sent.pk).history
    events = CaseEvent.objects.filter(case=issued_case).count()
    again = post_webhook(payload)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert Delivery.objects.get(pk=sent.pk).history == history
    assert CaseEvent.objects.filter(case=issued_case).count() == events
    assert CourierEvent.objects.count() == 1


def test_same_event_id_with_other_content_is_400(sent, issued_case):
    assert post_webhook(event()).status_code == 200
    response = post_webhook(event(status="failed"))
    assert response.status_code == 400
    assert "已收到过不同内容" in response.json()["detail"]
    sent.refresh_from_db()
    issued_case.refresh_from_db()
    assert (sent.status, issued_case.state) == ("shipped", CaseState.IN_DELIVERY)


def test_unknown_waybill_is_404_and_changes_nothing(sent, issued_case):
    response = post_webhook(event(waybill="EE000000005CN", status="failed"))
    assert response.status_code == 404
    assert "EE000000005CN" in response.json()["detail"]
    assert_nothing_changed(sent, issued_case)


def test_status_the_parcel_cannot_take_is_409(sent, issued_case):
    signed_at = timezone.now().isoformat()
    assert (
        post_webhook(
            event(event_id="e1", status="delivered", signed_by="张三", signed_at=signed_at)
        ).status_code
        == 200
    )
    response = post_webhook(event(event_id="e2", status="failed"))
    assert response.status_code == 409
    assert "当前为「已签收」" in response.json()["detail"]
    assert CourierEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(b"not json", "body", id="not-json"),
        pytest.param(b"[1, 2]", "body", id="not-an-object"),
        pytest.param(b'{"waybill": "EE123456785CN"}', "event_id", id="no-event-id"),
        pytest.param({"status": "lost"}, "status", id="unknown-status"),
        pytest.param({"occurred_at": "yesterday"}, "occurred_at", id="not-a-time"),
        pytest.param({"occurred_at": "2025-06-01T10:00:00"}, "occurred_at", id="no-time-zone"),
    ],
)
def test_malformed_body_is_400(sent, issued_case, payload, field):
    if isinstance(payload, dict):
        payload = event(**payload)
    response = post_webhook(payload)
    assert response.status_code == 400
    assert field in response.json()
    assert_nothing_changed(sent, issued_case)
