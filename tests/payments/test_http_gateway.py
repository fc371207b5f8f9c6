"""The HTTP gateway pattern against a real local server: signed order, verified
notification, refund once, and the daily statement's reconciliation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.constants import CaseState
from cases.services.review import approval_approve, approval_reject
from payments.constants import PaymentState
from payments.models import Payment
from payments.services.reconcile import payments_reconcile
from payments.services.refunds import payments_refund_sweep
from payments.services.settlement import payment_order_create

from .conftest import FORM, NOTIFY_URL, case_in_review
from .gateway_server import MERCHANT_ID

pytestmark = pytest.mark.django_db


def _paid(gateway, client, callbacks, *, department, transaction_id="T1", fee="120.00"):
    case, approvals = case_in_review(department=department, fee=fee)
    payment = payment_order_create(case=case)
    body = gateway.notification(
        order_id=payment.provider_order_id, transaction_id=transaction_id, amount=fee
    )
    with callbacks(execute=True):
        assert client.post(NOTIFY_URL, body, content_type=FORM).status_code == 200
    payment.refresh_from_db()
    return case, approvals, payment


def test_the_order_is_signed_and_the_payer_sent_to_the_gateway(gateway, department):
    case, _approvals = case_in_review(department=department)
    payment = payment_order_create(case=case)
    assert payment.pay_url.startswith("https://pay.example.test/cashier?order=")
    (order,) = gateway.orders  # signature checked by the server; pressing again reuses it
    assert (order["order_id"], order["amount"], order["merchant_id"]) == (
        payment.provider_order_id,
        "120.00",
        MERCHANT_ID,
    )
    assert payment_order_create(case=case).pay_url == payment.pay_url
    assert len(gateway.orders) == 1 and gateway.rejected == 0


def test_a_notification_signed_with_another_key_is_rejected(gateway, department, client):
    case, _approvals = case_in_review(department=department)
    payment = payment_order_create(case=case)
    forged = gateway.notification(
        order_id=payment.provider_order_id, transaction_id="T9", amount="120.00", key="guess"
    )
    assert client.post(NOTIFY_URL, forged, content_type=FORM).status_code == 400
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING


def test_paid_through_the_notification_and_refunded_once_when_denied(
    gateway, department, client, django_capture_on_commit_callbacks
):
    case, (approval,), payment = _paid(
        gateway, client, django_capture_on_commit_callbacks, department=department
    )
    assert payment.state == PaymentState.PAID
    approval_reject(approval=approval, actor=None, note="不符合条件")
    case.refresh_from_db()
    assert case.state == CaseState.DENIED
    with django_capture_on_commit_callbacks(execute=True):
        assert payments_refund_sweep() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert payments_refund_sweep() == 0  # the second sweep finds nothing to refund
    payment.refresh_from_db()
    assert payment.state == PaymentState.REFUNDED and payment.refunded_at
    assert [refund["refund_id"] for refund in gateway.refunds] == [f"R-{payment.provider_order_id}"]


def test_an_approved_paid_case_is_not_refunded(
    gateway, department, client, django_capture_on_commit_callbacks
):
    case, (approval,), payment = _paid(
        gateway, client, django_capture_on_commit_callbacks, department=department
    )
    with django_capture_on_commit_callbacks(execute=True):
        approval_approve(approval=approval, actor=None)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert payments_refund_sweep() == 0 and gateway.refunds == []


def test_reconciliation_finds_a_missing_and_an_extra_line(
    gateway, department, client, django_capture_on_commit_callbacks
):
    _c1, _a1, first = _paid(
        gateway,
        client,
        django_capture_on_commit_callbacks,
        department=department,
        transaction_id="T1",
    )
    _c2, _a2, second = _paid(
        gateway,
        client,
        django_capture_on_commit_callbacks,
        department=department,
        transaction_id="T2",
    )
    day = timezone.localtime(first.paid_at).date()
    gateway.statement_lines = [
        {"order_id": first.provider_order_id, "transaction_id": "T1", "amount": "120.00"},
        {"order_id": "SOMEONE-ELSE-1", "transaction_id": "T7", "amount": "20.00"},
    ]
    result = payments_reconcile(day=day)
    assert result.matched == 1
    assert result.missing_lines == [(second.provider_order_id, "T2", Decimal("120.00"))]
    assert [line.transaction_id for line in result.extra_lines] == ["T7"]
    with pytest.raises(CommandError, match="does not match"):
        call_command("payments_reconcile", "--day", day.isoformat())
    gateway.statement_lines.pop()
    gateway.statement_lines.append(
        {"order_id": second.provider_order_id, "transaction_id": "T2", "amount": "120.00"}
    )
    assert payments_reconcile(day=day).is_clean
    assert payments_reconcile(day=day + dt.timedelta(days=1)).missing_lines == []


def test_reconcile_command_refuses_a_bad_day(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("payments_reconcile", "--day", "2025-13-01")
    assert not Payment.objects.exists()
