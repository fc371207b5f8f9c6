"""Handing out the result: pick-up at the window, courier parcels and their status."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import BookingStatus, CaseState, DeliveryStatus, VisitReason
from cases.couriers import courier_backend
from cases.exceptions import (
    DeliveryInputError,
    DeliveryStateError,
    InvalidTransitionError,
    TransitionPermissionError,
)
from cases.models import CaseEvent, Delivery, Visit
from cases.services.delivery import (
    case_collect,
    delivery_create,
    delivery_mark_delivered,
    delivery_mark_failed,
    delivery_mark_returned,
    delivery_mark_shipped,
    delivery_record_status,
    visit_record,
)
from certificates.models import Certificate
from tests.factories import CaseFactory

from .conftest import parcel

pytestmark = pytest.mark.django_db


def send(case, clerk, capture, **overrides):
    with capture(execute=True):
        delivery, created = delivery_create(case=case, actor=clerk, **parcel(**overrides))
    delivery.refresh_from_db()
    return delivery, created


# --- pick-up at the window ---


def test_pick_up_at_the_window_closes_the_case_and_records_one_visit(issued_case, clerk):
    case = case_collect(case=issued_case, actor=clerk, note="本人持身份证领取")
    assert case.state == CaseState.CLOSED
    visit = Visit.objects.get(case=case)
    assert (visit.reason, visit.clerk, visit.note) == (
        VisitReason.COLLECT,
        clerk,
        "本人持身份证领取",
    )


def test_pick_up_before_the_result_exists_is_refused_and_records_no_visit(clerk):
    case = CaseFactory(state=CaseState.IN_REVIEW)
    with pytest.raises(InvalidTransitionError, match="不能窗口领取"):
        case_collect(case=case, actor=clerk)
    assert not Visit.objects.filter(case=case).exists()


def test_visit_with_an_unknown_reason_is_refused(issued_case, clerk):
    with pytest.raises(DeliveryInputError, match="到场原因「shopping」无效"):
        visit_record(case=issued_case, reason="shopping", clerk=clerk)
    assert not Visit.objects.exists()


# --- creating a courier parcel ---


def test_clerk_sends_the_result_by_courier(issued_case, clerk, django_capture_on_commit_callbacks):
    delivery, created = send(issued_case, clerk, django_capture_on_commit_callbacks)
    assert created
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.IN_DELIVERY
    assert (delivery.courier, delivery.waybill, delivery.status) == (
        "EMS",
        "EE123456785CN",
        DeliveryStatus.CREATED,
    )
    assert (delivery.province, delivery.city, delivery.district, delivery.street) == (
        "四川省",
        "成都市",
        "锦江区",
        "春熙路街道",
    )
    assert delivery.street_address == "红星路三段1号2栋3单元401"
    assert delivery.created_by == clerk
    # The order reached the (console) courier after commit.
    assert delivery.booking_status == BookingStatus.BOOKED
    assert delivery.courier_reference == "console-EE123456785CN"
    assert any(s.waybill == "EE123456785CN" for s in courier_backend().booked)
    assert CaseEvent.objects.filter(case=issued_case, name="ship", to_state="IN_DELIVERY").exists()


def test_sending_the_same_parcel_twice_makes_one_parcel(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    first, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    second, created = send(issued_case, clerk, django_capture_on_commit_callbacks)
    assert not created and second.pk == first.pk
    assert Delivery.objects.count() == 1


def test_bad_parcel_names_every_wrong_field_and_changes_nothing(issued_case, clerk):
    with pytest.raises(DeliveryInputError) as raised:
        delivery_create(
            case=issued_case,
            actor=clerk,
            **parcel(
                waybill="EE123456786CN",
                recipient=" ",
                phone="12345",
                province="",
                detail="",
                postal_code="61002",
            ),
        )
    errors = raised.value.errors
    assert set(errors) == {
        "waybill",
        "recipient",
        "phone",
        "address.province",
        "address.detail",
        "address.postal_code",
    }
    assert "校验码错误" in errors["waybill"][0]
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED
    assert not Delivery.objects.exists()
    assert not CaseEvent.objects.filter(case=issued_case).exists()


def test_a_case_without_its_result_cannot_be_sent(clerk):
    case = CaseFactory(state=CaseState.APPROVED)
    with pytest.raises(InvalidTransitionError, match="当前状态为「已批准」，不能寄出"):
        delivery_create(case=case, actor=clerk, **parcel())
    assert not Delivery.objects.exists()


def test_only_a_clerk_may_send(issued_case, reviewer):
    with pytest.raises(TransitionPermissionError):
        delivery_create(case=issued_case, actor=reviewer, **parcel())
    assert not Delivery.objects.exists()
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED


def test_a_waybill_used_for_another_case_is_refused(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    send(issued_case, clerk, django_capture_on_commit_callbacks)
    other = CaseFactory(state=CaseState.ISSUED)
    with pytest.raises(DeliveryInputError, match=f"已用于办件 {issued_case.tracking_no}"):
        delivery_create(case=other, actor=clerk, **parcel())
    other.refresh_from_db()
    assert other.state == CaseState.ISSUED


# --- courier status ---


def test_shipped_is_recorded_on_the_parcel_and_the_timeline(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    delivery = delivery_mark_shipped(delivery=delivery)
    assert delivery.status == DeliveryStatus.SHIPPED
    assert [entry["status"] for entry in delivery.history] == ["created", "shipped"]
    assert CaseEvent.objects.filter(case=issued_case, name="delivery_shipped").exists()
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.IN_DELIVERY


def test_delivered_with_signer_and_time_closes_the_case(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    signed_at = timezone.now() - dt.timedelta(hours=1)
    delivery = delivery_mark_delivered(delivery=delivery, signed_by="张三", signed_at=signed_at)
    assert (delivery.status, delivery.signed_by, delivery.delivered_at) == (
        DeliveryStatus.DELIVERED,
        "张三",
        signed_at,
    )
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.CLOSED
    event = CaseEvent.objects.get(case=issued_case, name="deliver")
    assert event.data["signed_by"] == "张三"


@pytest.mark.parametrize(
    ("signed_by", "signed_at", "fields"),
    [
        ("", "now", {"signed_by"}),
        ("张三", None, {"signed_at"}),
        (" ", None, {"signed_by", "signed_at"}),
    ],
)
def test_delivered_needs_both_signer_and_time(
    issued_case, clerk, django_capture_on_commit_callbacks, signed_by, signed_at, fields
):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    when = timezone.now() if signed_at == "now" else None
    with pytest.raises(DeliveryInputError) as raised:
        delivery_mark_delivered(delivery=delivery, signed_by=signed_by, signed_at=when)
    assert set(raised.value.errors) == fields
    delivery.refresh_from_db()
    issued_case.refresh_from_db()
    assert (delivery.status, delivery.signed_by, delivery.delivered_at) == ("created", "", None)
    assert issued_case.state == CaseState.IN_DELIVERY


def test_failed_delivery_returns_the_case_to_the_window_queue_with_nothing_lost(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    certificates = set(Certificate.objects.filter(case=issued_case).values_list("pk", flat=True))
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    delivery_mark_shipped(delivery=delivery)
    delivery = delivery_mark_failed(delivery=delivery, reason="收件人电话无人接听，三次投递未果")
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED  # back in the window queue
    assert delivery.status == DeliveryStatus.FAILED
    assert [entry["status"] for entry in delivery.history] == ["created", "shipped", "failed"]
    assert delivery.history[-1]["note"] == "收件人电话无人接听，三次投递未果"
    event = CaseEvent.objects.get(case=issued_case, name="return_to_window")
    assert (event.from_state, event.to_state) == ("IN_DELIVERY", "ISSUED")
    assert event.note == "收件人电话无人接听，三次投递未果"
    assert (
        set(Certificate.objects.filter(case=issued_case).values_list("pk", flat=True))
        == certificates
    )
    # The clerk sends it again under a new waybill; the failed parcel stays on record.
    second, created = send(
        issued_case, clerk, django_capture_on_commit_callbacks, waybill="EE000000005CN"
    )
    assert created
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.IN_DELIVERY
    assert Delivery.objects.filter(case=issued_case).count() == 2


def test_returned_after_failed_keeps_the_case_in_the_window_queue(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    delivery_mark_failed(delivery=delivery, reason="地址不详")
    delivery = delivery_mark_returned(delivery=delivery, reason="退回政务服务中心")
    issued_case.refresh_from_db()
    assert (delivery.status, issued_case.state) == (DeliveryStatus.RETURNED, CaseState.ISSUED)
    assert CaseEvent.objects.filter(case=issued_case, name="return_to_window").count() == 1
    # ...and may then be picked up at the window instead.
    case = case_collect(case=issued_case, actor=clerk)
    assert case.state == CaseState.CLOSED


def test_returned_parcel_returns_the_case_to_the_window(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    delivery_mark_returned(delivery=delivery, reason="收件人拒收")
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.ISSUED


@pytest.mark.parametrize("status", ["failed", "returned", "shipped", "delivered"])
def test_a_delivered_parcel_cannot_change_any_more(
    issued_case, clerk, django_capture_on_commit_callbacks, status
):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    delivery_mark_delivered(delivery=delivery, signed_by="张三", signed_at=timezone.now())
    with pytest.raises(DeliveryStateError, match="当前为「已签收」"):
        delivery_record_status(
            delivery=delivery, status=status, signed_by="李四", occurred_at=timezone.now()
        )
    delivery.refresh_from_db()
    issued_case.refresh_from_db()
    assert (delivery.status, delivery.signed_by, issued_case.state) == (
        "delivered",
        "张三",
        CaseState.CLOSED,
    )


def test_unknown_status_is_refused(issued_case, clerk, django_capture_on_commit_callbacks):
    delivery, _ = send(issued_case, clerk, django_capture_on_commit_callbacks)
    with pytest.raises(DeliveryInputError, match="寄递状态「lost」无效"):
        delivery_record_status(delivery=delivery, status="lost")
