"""The comprehensive window hands out the result (综合窗口出件): at the window, or by courier.

* ``window``: pick-up at the window and every visit in person (``visit_record``).
* ``courier``: the courier parcel and its status.
* ``booking``: the parcel's order with the courier company.
* ``webhook``: the courier companies' signed status calls.
"""

from .booking import deliveries_book_stale, delivery_book
from .courier import (
    delivery_create,
    delivery_mark_delivered,
    delivery_mark_failed,
    delivery_mark_returned,
    delivery_mark_shipped,
    delivery_record_status,
)
from .webhook import WebhookOutcome, courier_webhook_receive, webhook_signature
from .window import case_collect, case_notify_denial, visit_record

__all__ = [
    "WebhookOutcome",
    "case_collect",
    "case_notify_denial",
    "courier_webhook_receive",
    "deliveries_book_stale",
    "delivery_book",
    "delivery_create",
    "delivery_mark_delivered",
    "delivery_mark_failed",
    "delivery_mark_returned",
    "delivery_mark_shipped",
    "delivery_record_status",
    "visit_record",
    "webhook_signature",
]
