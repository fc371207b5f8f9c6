"""The courier company's order for a parcel: placed after commit, retried until it is taken.

The parcel row is its own outbox: ``booking_status`` says whether the order is in,
and ``deliveries_book_stale`` re-sends what failed or was lost. The order is sent to
Celery (task ``cases.book_delivery``) by the function the task side registers
(``booking_publisher_register``, in ``cases/apps.py``): services never import tasks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ...constants import DELIVERY_ACTIVE_STATUSES, BookingStatus
from ...couriers import CourierUnavailableError, Shipment, courier_backend
from ...models import Delivery

BOOKING_MAX_ATTEMPTS = 20


# Sends one parcel's order to Celery.
BookingPublisher = Callable[[int], None]
_publisher: BookingPublisher | None = None


def booking_publisher_register(publisher: BookingPublisher | None) -> BookingPublisher | None:
    """Set the function that sends a parcel's order to Celery; returns the one it replaces."""
    global _publisher
    previous, _publisher = _publisher, publisher
    return previous


def publish_booking(delivery_id: int) -> None:
    if _publisher is None:
        raise RuntimeError("no courier order publisher registered (is the cases app installed?)")
    _publisher(delivery_id)


def delivery_book(*, delivery_id: int) -> Delivery:
    """Place the parcel's order with the courier company; safe to run twice.

    The company's call happens outside any transaction; a failure is recorded on
    the parcel (attempts, error) and retried by ``deliveries_book_stale``.
    """
    delivery = Delivery.objects.select_related("case").get(pk=delivery_id)
    if delivery.booking_status == BookingStatus.BOOKED:
        return delivery
    if delivery.status not in DELIVERY_ACTIVE_STATUSES:
        return delivery
    shipment = Shipment(
        courier=delivery.courier,
        waybill=delivery.waybill,
        tracking_no=delivery.case.tracking_no,
        recipient=delivery.recipient,
        phone=delivery.phone,
        province=delivery.province,
        city=delivery.city,
        district=delivery.district,
        street=delivery.street,
        detail=delivery.street_address,
        postal_code=delivery.postal_code,
    )
    try:
        booking = courier_backend().book(shipment)
    except CourierUnavailableError as error:
        with transaction.atomic():
            locked = Delivery.objects.select_for_update().get(pk=delivery_id)
            if locked.booking_status != BookingStatus.BOOKED:
                locked.booking_status = BookingStatus.FAILED
                locked.booking_attempts += 1
                locked.booking_error = str(error)[:300]
                locked.save(
                    update_fields=[
                        "booking_status",
                        "booking_attempts",
                        "booking_error",
                        "updated_at",
                    ]
                )
            return locked
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery_id)
        if locked.booking_status != BookingStatus.BOOKED:
            locked.booking_status = BookingStatus.BOOKED
            locked.booking_attempts += 1
            locked.booking_error = ""
            locked.courier_reference = booking.reference
            locked.booked_at = booking.booked_at
            locked.save(
                update_fields=[
                    "booking_status",
                    "booking_attempts",
                    "booking_error",
                    "courier_reference",
                    "booked_at",
                    "updated_at",
                ]
            )
        return locked


def deliveries_book_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Re-publish the orders that did not reach the courier (a failure, a lost message).

    Run periodically; returns how many were re-published.
    """
    cutoff = timezone.now() - older_than
    stale_ids = list(
        Delivery.objects.filter(
            status__in=DELIVERY_ACTIVE_STATUSES,
            booking_status__in=[BookingStatus.PENDING, BookingStatus.FAILED],
            booking_attempts__lt=BOOKING_MAX_ATTEMPTS,
        )
        .filter(Q(updated_at__lt=cutoff))
        .values_list("pk", flat=True)[:500]
    )
    for delivery_id in stale_ids:
        publish_booking(delivery_id)
    return len(stale_ids)
