"""Conclusion guards: what, besides the approvals, must hold before a case concludes.

An app above ``cases`` (payments: "a case with a fee concludes only once paid or
waived") registers a guard in its ``AppConfig.ready()``; ``case_conclude_if_complete``
asks every guard, under the case's row lock, and leaves the case in review while one
answers a reason. ``cases`` never imports those apps: this table is the only link,
and the app calls ``case_conclude_if_complete`` again (through the outbox) once its
condition holds.

A guard is called as ``guard(case, context)`` and answers ``None`` (no objection) or
the reason, in words a clerk can read. It runs inside the concluding transaction, so
it must be cheap: ``context`` carries what the fan-in read already (the outcome and
the fees of the case's items), so a guard with nothing to say costs no query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Case


@dataclass(frozen=True)
class ConclusionContext:
    """What the fan-in knows when it is about to conclude ``case``."""

    is_approved: bool  # the outcome it would record: APPROVED (True) or DENIED
    fee_total: Decimal  # the sum of the fees of the items the case's approvals are for


ConclusionGuard = Callable[["Case", ConclusionContext], "str | None"]

# Filled by the apps' ``ready()``; read-only afterwards.
CONCLUSION_GUARDS: list[ConclusionGuard] = []


def conclusion_guard_register(function: ConclusionGuard) -> None:
    """Ask ``function`` before every conclusion (registering it twice changes nothing)."""
    if function not in CONCLUSION_GUARDS:
        CONCLUSION_GUARDS.append(function)


def conclusion_blocked_by(case: Case, context: ConclusionContext) -> str | None:
    """The first reason a registered guard gives not to conclude ``case`` now, or ``None``."""
    for guard in CONCLUSION_GUARDS:
        reason = guard(case, context)
        if reason:
            return reason
    return None
