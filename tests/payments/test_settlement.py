"""A case with a fee concludes only once paid (through the notification) or waived."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.constants import CaseState
from cases.models import CaseEvent, Job
from cases.services.guards import ConclusionContext
from cases.services.review import approval_approve, case_conclude_if_complete
from payments.constants import NotificationOutcome, PaymentState
from payments.exceptions import PaymentError, WaiverReasonRequiredError
from payments.models import Payment, PaymentNotification
from payments.services.settlement import (
    payment_conclusion_guard,
    payment_order_create,
    payment_waive,
)

from .conftest import FORM, NOTIFY_URL, case_in_review, dev_notification

pytestmark = pytest.mark.django_db


def _approve_all(approvals, callbacks):
    with callbacks(execute=True):
        for approval in approvals:
            approval_approve(approval=approval, actor=None, note="同意")


def test_all_approved_but_unpaid_stays_in_review_then_concludes_once_paid(
    department, client, django_capture_on_commit_callbacks
):
    case, approvals = case_in_review(department=department, items=2, fee="60.00")
    payment = payment_order_create(case=case)
    assert payment.amount == 120 and payment.state == PaymentState.PENDING
    assert payment.pay_url == f"/payments/dev/{payment.provider_order_id}/"
    _approve_all(approvals, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW  # every approval granted, the fee is not paid

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NOTIFY_URL, dev_notification(payment), content_type=FORM)
    assert response.status_code == 200 and response.content == b"success"
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.state == PaymentState.PAID and payment.provider_transaction_id
    assert case.state == CaseState.APPROVED
    assert CaseEvent.objects.filter(case=case, name="fee_paid").count() == 1


def test_bad_signature_is_rejected_logged_and_changes_nothing(department, client):
    case, _approvals = case_in_review(department=department)
    payment = payment_order_create(case=case)
    body = dev_notification(payment).replace(b"amount=120.00", b"amount=0.01")
    response = client.post(NOTIFY_URL, body, content_type=FORM)
    assert response.status_code == 400
    assert "签名无效" in response.content.decode()
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING and payment.provider_transaction_id is None
    logged = PaymentNotification.objects.get()
    assert not logged.is_signature_valid and logged.outcome == NotificationOutcome.REJECTED
    assert not Job.objects.filter(kind="payments_conclude_case").exists()


def test_a_notification_without_fields_is_refused_by_name(client, db):
    response = client.post(NOTIFY_URL, b"order_id=X", content_type=FORM)
    assert response.status_code == 400
    assert "transaction_id" in response.content.decode()


def test_a_replayed_notification_is_ignored(department, client, django_capture_on_commit_callbacks):
    case, approvals = case_in_review(department=department)
    payment = payment_order_create(case=case)
    _approve_all(approvals, django_capture_on_commit_callbacks)
    body = dev_notification(payment)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(NOTIFY_URL, body, content_type=FORM).status_code == 200
    outcomes = list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [NotificationOutcome.PAID, NotificationOutcome.DUPLICATE]
    assert Payment.objects.filter(state=PaymentState.PAID).count() == 1
    assert CaseEvent.objects.filter(case=case, name="conclude").count() == 1
    assert CaseEvent.objects.filter(case=case, name="fee_paid").count() == 1


def test_a_notification_for_the_wrong_amount_does_not_pay(department, client):
    from payments.providers import DevelopmentProvider

    case, _approvals = case_in_review(department=department)
    payment = payment_order_create(case=case)
    body = DevelopmentProvider().notification_body(
        order_id=payment.provider_order_id, amount="1.00"
    )
    assert client.post(NOTIFY_URL, body, content_type=FORM).status_code == 200
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.AMOUNT_MISMATCH


def test_a_waiver_needs_a_reason_and_then_concludes_the_case(
    department, clerk, django_capture_on_commit_callbacks
):
    case, approvals = case_in_review(department=department)
    _approve_all(approvals, django_capture_on_commit_callbacks)
    with pytest.raises(WaiverReasonRequiredError, match="理由"):
        payment_waive(case=case, actor=clerk, reason="   ")
    assert Payment.objects.get(case=case).state == PaymentState.PENDING
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW

    with django_capture_on_commit_callbacks(execute=True):
        payment_waive(case=case, actor=clerk, reason="低保户，依规减免")
    payment = Payment.objects.get(case=case)
    assert payment.state == PaymentState.WAIVED
    assert (payment.waived_by, payment.waive_reason) == (clerk, "低保户，依规减免")
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    with pytest.raises(PaymentError, match="不能减免"):
        payment_waive(case=case, actor=clerk, reason="再减一次")


def test_a_free_case_is_unaffected_and_its_guard_costs_no_query(
    department, django_capture_on_commit_callbacks
):
    case, approvals = case_in_review(department=department, fee="0")
    with CaptureQueriesContext(connection) as queries:
        assert (
            payment_conclusion_guard(case, ConclusionContext(is_approved=True, fee_total=0)) is None
        )
    assert len(queries) == 0
    with pytest.raises(PaymentError, match="无需缴费"):
        payment_order_create(case=case)
    _approve_all(approvals, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert not Payment.objects.exists()


def test_the_guard_of_a_case_with_a_fee_costs_one_query_once_its_row_exists(department):
    case, _approvals = case_in_review(department=department)
    payment_order_create(case=case)
    with CaptureQueriesContext(connection) as queries:
        reason = payment_conclusion_guard(case, ConclusionContext(is_approved=True, fee_total=120))
    assert reason and len(queries) == 1


def test_a_denial_is_not_held_up_by_an_unpaid_fee(department, django_capture_on_commit_callbacks):
    from cases.services.review import approval_reject

    case, (approval,) = case_in_review(department=department)
    approval_reject(approval=approval, actor=None, note="不符合条件")
    case.refresh_from_db()
    assert case.state == CaseState.DENIED


def test_the_guard_creates_the_payment_when_no_page_did(
    department, django_capture_on_commit_callbacks
):
    case, approvals = case_in_review(department=department, fee="20.00")
    _approve_all(approvals, django_capture_on_commit_callbacks)
    assert Payment.objects.get(case=case).amount == 20
    assert case_conclude_if_complete(case=case).state == CaseState.IN_REVIEW


def test_paying_before_acceptance_is_refused(department):
    from decimal import Decimal

    from tests.factories import CaseFactory, ServiceItemFactory

    item = ServiceItemFactory(department=department, fee=Decimal("20"))
    case = CaseFactory(state=CaseState.SUBMITTED, items=[item])
    with pytest.raises(PaymentError, match="受理后"):
        payment_order_create(case=case)
    assert not Payment.objects.exists()
