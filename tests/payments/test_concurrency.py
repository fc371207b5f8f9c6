"""Two deliveries of one notification at the same moment: paid once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from payments.constants import NotificationOutcome, PaymentState
from payments.models import Payment, PaymentNotification
from payments.services.notifications import payment_notification_receive
from payments.services.settlement import payment_order_create

from .conftest import case_in_review, dev_notification


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_identical_notifications_at_once_pay_once(department):
    case, _approvals = case_in_review(department=department)
    payment = payment_order_create(case=case)
    body = dev_notification(payment)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            outcomes.append(payment_notification_receive(body=body, headers={}).outcome)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [NotificationOutcome.DUPLICATE, NotificationOutcome.PAID]
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.PAID
    assert PaymentNotification.objects.filter(outcome=NotificationOutcome.PAID).count() == 1
