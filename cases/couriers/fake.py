"""The embedded default: no courier company is called; orders are logged and kept in memory."""

from __future__ import annotations

import logging
import threading

from django.utils import timezone

from .base import Booking, Shipment

logger = logging.getLogger("onewindow.couriers")


class ConsoleCourier:
    """Takes every order at once. ``booked`` lists them (per process), for the demo and tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.booked: list[Shipment] = []

    def book(self, shipment: Shipment) -> Booking:
        with self._lock:
            if shipment not in self.booked:
                self.booked.append(shipment)
        logger.info(
            "courier order (console): %s %s for case %s",
            shipment.courier,
            shipment.waybill,
            shipment.tracking_no,
        )
        return Booking(reference=f"console-{shipment.waybill}", booked_at=timezone.now())
