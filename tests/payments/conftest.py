from __future__ import annotations

from decimal import Decimal

import pytest

from cases.constants import ApprovalState, CaseState
from payments.providers import DevelopmentProvider
from tests.factories import ApprovalFactory, CaseFactory, ServiceItemFactory

from .gateway_server import MERCHANT_ID, MERCHANT_KEY, gateway_server

NOTIFY_URL = "/api/v1/payments/notify/"
FORM = "application/x-www-form-urlencoded"


def case_in_review(*, department, fee: str = "120.00", items: int = 1):
    """A case accepted and in review, one pending approval per item (each with ``fee``)."""
    service_items = [
        ServiceItemFactory(department=department, fee=Decimal(fee)) for _ in range(items)
    ]
    case = CaseFactory(state=CaseState.IN_REVIEW, items=service_items)
    approvals = [
        ApprovalFactory(case=case, item=item, state=ApprovalState.IN_REVIEW)
        for item in service_items
    ]
    return case, approvals


def dev_notification(payment) -> bytes:
    return DevelopmentProvider().notification_body(
        order_id=payment.provider_order_id, amount=f"{payment.amount:.2f}"
    )


@pytest.fixture
def gateway(settings):
    """The HTTP gateway provider, talking to a real local server."""
    with gateway_server() as server:
        settings.PAYMENT_BACKEND = "http"
        settings.PAYMENT_HTTP_ENDPOINT = server.url
        settings.PAYMENT_HTTP_TOKEN = MERCHANT_KEY
        settings.PAYMENT_MERCHANT_ID = MERCHANT_ID
        yield server
