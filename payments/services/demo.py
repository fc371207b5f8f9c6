"""The demo's citizen pays: what the development gateway's "pay" button does, for the demo
stories that ``load_demo --cases`` takes through their services (``cases.services.demo``
receives it through its ``CitizenDoor``)."""

from __future__ import annotations

from cases.models import Case

from ..providers.dev import DevelopmentProvider
from .notifications import payment_notification_receive
from .settlement import payment_order_create


def payment_demo_pay(*, case: Case) -> None:
    """Place the order with the development gateway and pay it through its signed
    notification, the path a real payment takes."""
    payment = payment_order_create(case=case)
    provider = DevelopmentProvider()
    body = provider.notification_body(
        order_id=payment.provider_order_id, amount=f"{payment.amount:.2f}"
    )
    payment_notification_receive(body=body, headers={}, provider=provider)
