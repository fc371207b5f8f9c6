"""The fee panels the case pages include with one line each."""

from __future__ import annotations

from typing import Any

from django import template

from cases.models import Case
from departments.constants import Role
from departments.roles import has_role

from ..constants import PaymentState
from ..services.settlement import PAYABLE_CASE_STATES, case_fee, payment_for_case

register = template.Library()


def _panel(case: Case) -> dict[str, Any]:
    payment = payment_for_case(case=case)
    fee = payment.amount if payment is not None else case_fee(case=case)
    return {
        "case": case,
        "payment": payment,
        "fee": fee,
        "is_payable": payment is not None
        and payment.state == PaymentState.PENDING
        and case.state in PAYABLE_CASE_STATES,
    }


@register.inclusion_tag("payments/_citizen_panel.html", takes_context=True)
def payment_citizen_panel(context: template.Context, case: Case) -> dict[str, Any]:
    return {**_panel(case), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("payments/_window_panel.html", takes_context=True)
def payment_window_panel(context: template.Context, case: Case) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        **_panel(case),
        "csrf_token": context.get("csrf_token"),
        "may_waive": user is not None and has_role(user, Role.CLERK),
    }
