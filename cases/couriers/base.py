"""What OneWindow asks of a courier company's system, whichever company and however reached."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Protocol


class CourierUnavailableError(Exception):
    """The courier's system did not take the order (down, timeout, refused); safe to retry."""


@dataclass(frozen=True)
class Shipment:
    """A parcel handed to the courier at the window: who gets it, where, under which waybill."""

    courier: str
    waybill: str
    tracking_no: str
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    street: str
    detail: str
    postal_code: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Booking:
    """The courier's answer: its own reference for the order."""

    reference: str
    booked_at: dt.datetime


class Courier(Protocol):
    """A courier company's order interface. ``book`` is called once per parcel, maybe retried:
    implementations must treat the same waybill twice as the same order."""

    def book(self, shipment: Shipment) -> Booking: ...
