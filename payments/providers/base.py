"""The payment gateway edge: what every provider offers, and the signing they share.

A real gateway (the pattern of the big Chinese ones) takes a *signed payment order*,
shows the payer its own page, and later tells the merchant by an *asynchronous
notification* that the merchant must verify before believing it; once a day it
publishes a *statement* of what it collected, and it refunds by the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..models import Payment


@dataclass(frozen=True)
class VerifiedNotification:
    """A notification whose signature checked out: the gateway says this order was paid."""

    order_id: str
    transaction_id: str
    amount: Decimal
    paid_at: dt.datetime


@dataclass(frozen=True)
class StatementLine:
    """One collection in the gateway's daily statement."""

    order_id: str
    transaction_id: str
    amount: Decimal


class PaymentProvider(Protocol):
    name: str

    def order_create(self, payment: Payment) -> tuple[str, str]:
        """Place the signed order; returns ``(order id, URL of the payer's page)``."""

    def notification_parse(self, body: bytes, headers: Mapping[str, str]) -> VerifiedNotification:
        """The notification's data once its signature is verified; raises
        ``NotificationInvalidError`` otherwise."""

    def statement_fetch(self, day: dt.date) -> list[StatementLine]:
        """Every collection the gateway booked on ``day``."""

    def refund(self, payment: Payment) -> None:
        """Give the money of ``payment`` back (idempotent: the refund id is the order's)."""


def canonical_string(parameters: Mapping[str, object]) -> str:
    """``key=value`` pairs sorted by key and joined by ``&``, without ``sign`` and empty
    values: the string both sides sign, so the order of the fields never matters."""
    return "&".join(
        f"{key}={parameters[key]}"
        for key in sorted(parameters)
        if key != "sign" and parameters[key] not in ("", None)
    )


def signature(parameters: Mapping[str, object], key: str) -> str:
    """HMAC-SHA256 of the canonical string, hex."""
    return hmac.new(
        key.encode("utf-8"), canonical_string(parameters).encode("utf-8"), hashlib.sha256
    ).hexdigest()


def signature_is_valid(parameters: Mapping[str, object], key: str) -> bool:
    given = str(parameters.get("sign") or "")
    return bool(given) and hmac.compare_digest(given, signature(parameters, key))


def signed(parameters: Mapping[str, object], key: str) -> dict[str, str]:
    """``parameters`` as strings, with their ``sign``."""
    values = {name: str(value) for name, value in parameters.items() if value not in ("", None)}
    return {**values, "sign": signature(values, key)}


def order_id_for(payment: Payment) -> str:
    """Our order number for the payment: the case's tracking number and the row's id, so
    a statement line can be read without looking anything up."""
    return f"{payment.case.tracking_no}-{payment.pk}"
