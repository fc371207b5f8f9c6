"""The daily reconciliation: the gateway's statement against our payments.

Set-based: one read of the statement, one query for our payments collected that day,
and one for the payments the statement names (a collection we never heard of may be
an order of ours whose notification was lost). Mismatches are reported, not fixed: a
person decides what a difference means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..models import Payment
from ..providers import PaymentProvider, StatementLine, payment_provider
from ..selectors import payments_collected_on


@dataclass
class Reconciliation:
    day: dt.date
    matched: int = 0
    # Collected by us that day, absent from the statement.
    missing_lines: list[tuple[str, str, Decimal]] = field(default_factory=list)
    # In the statement, not collected by us (a lost notification, or not ours at all).
    extra_lines: list[StatementLine] = field(default_factory=list)
    # Both sides know the transaction, with different amounts or orders.
    mismatches: list[tuple[StatementLine, str, Decimal]] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not (self.missing_lines or self.extra_lines or self.mismatches)


def payments_reconcile(*, day: dt.date, provider: PaymentProvider | None = None) -> Reconciliation:
    """Compare ``day``'s statement with the payments we recorded as paid that day."""
    provider = provider or payment_provider()
    statement = provider.statement_fetch(day)
    ours = {
        transaction_id: (order_id, amount)
        for order_id, transaction_id, amount in payments_collected_on(
            day=day, provider=provider.name
        )
    }
    # Lines of other days' payments of ours (paid just before midnight, booked after).
    elsewhere = dict(
        Payment.objects.filter(
            provider_transaction_id__in=[line.transaction_id for line in statement]
        )
        .exclude(provider_transaction_id__in=list(ours))
        .values_list("provider_transaction_id", "provider_order_id")
    )
    result = Reconciliation(day=day)
    seen: set[str] = set()
    for line in statement:
        seen.add(line.transaction_id)
        if line.transaction_id in ours:
            order_id, amount = ours[line.transaction_id]
            if order_id != line.order_id or amount != line.amount:
                result.mismatches.append((line, order_id, amount))
            else:
                result.matched += 1
        elif line.transaction_id in elsewhere:
            result.matched += 1
        else:
            result.extra_lines.append(line)
    result.missing_lines = [
        (order_id, transaction_id, amount)
        for transaction_id, (order_id, amount) in ours.items()
        if transaction_id not in seen
    ]
    return result
