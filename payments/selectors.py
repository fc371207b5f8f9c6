"""Reads of payments: what a day collected, and what the case pages show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cases.models import Case

from .models import Payment


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day as an aware ``[start, end)`` range."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def payments_collected_on(*, day: dt.date, provider: str) -> list[tuple[str, str, Decimal]]:
    """``(order id, transaction id, amount)`` of every payment the gateway ``provider``
    collected on ``day`` (refunded later or not): our side of the daily statement."""
    start, end = day_bounds(day)
    return list(
        Payment.objects.filter(
            provider=provider,
            paid_at__gte=start,
            paid_at__lt=end,
            provider_transaction_id__isnull=False,
        )
        .order_by("paid_at")
        .values_list("provider_order_id", "provider_transaction_id", "amount")
    )


def case_payment(*, case: Case) -> Payment | None:
    return Payment.objects.select_related("waived_by").filter(case_id=case.pk).first()
