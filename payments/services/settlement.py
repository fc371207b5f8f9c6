"""A case's payment: created when first needed, ordered online, waived by a clerk, and
the conclusion guard that holds a case with a fee in review until one of them happened.

The ``Payment`` row is created lazily — by the conclusion guard, or the first time the
citizen's or the clerk's case page shows it — once the case is accepted: its amount is
the sum of the case's items' fees then, and stays so. ``cases`` knows nothing of this
app; the guard is registered in ``payments/apps.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import CaseState, EventKind
from cases.models import Case, CaseEvent
from cases.services.guards import ConclusionContext
from cases.services.jobs import job_enqueue
from cases.services.review import case_conclude_if_complete

from ..constants import CONCLUDE_JOB, SETTLED_STATES, PaymentState
from ..exceptions import PaymentError, WaiverReasonRequiredError
from ..models import Payment
from ..providers import payment_provider

# A payment row exists from acceptance on; before that the case may still be refused.
PAYABLE_CASE_STATES = (CaseState.ACCEPTED, CaseState.IN_REVIEW, CaseState.SUSPENDED)
ACCEPTED_CASE_STATES = (
    *PAYABLE_CASE_STATES,
    CaseState.APPROVED,
    CaseState.DENIED,
    CaseState.ISSUED,
    CaseState.IN_DELIVERY,
    CaseState.CLOSED,
)


def case_fee(*, case: Case) -> Decimal:
    """The sum of the fees of the case's items (0: free)."""
    total = case.items.aggregate(total=Sum("fee"))["total"] or Decimal("0")
    return Decimal(total).quantize(Decimal("0.01"))


def payment_for_case(*, case: Case) -> Payment | None:
    """The case's payment, created now if the case was accepted and has a fee; ``None``
    for a free case or one not accepted (yet)."""
    payment = Payment.objects.filter(case_id=case.pk).first()
    if payment is not None or case.state not in ACCEPTED_CASE_STATES:
        return payment
    amount = case_fee(case=case)
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            return Payment.objects.create(case=case, amount=amount)
    except IntegrityError:  # created at the same moment by another request
        return Payment.objects.get(case_id=case.pk)


def payment_conclusion_guard(case: Case, context: ConclusionContext) -> str | None:
    """ "A case with a fee concludes as approved only once paid or waived." A denial is
    not held up (a paid fee is refunded, see ``refunds``). No query for a free case, one
    indexed read otherwise (its row is created here if no page created it yet)."""
    if not context.is_approved or context.fee_total <= 0:
        return None
    state = Payment.objects.filter(case_id=case.pk).values_list("state", flat=True).first()
    if state is None:
        created = payment_for_case(case=case)
        state = created.state if created is not None else None
    if state is None or state in SETTLED_STATES:
        return None
    return _("费用尚未缴纳或减免。")


def _conclude_after_commit(payment: Payment) -> None:
    """Settled: the case concludes now if its approvals were all decided (an outbox job,
    run after commit; the same job twice concludes once)."""
    job_enqueue(
        kind=CONCLUDE_JOB,
        key=f"payments:conclude:{payment.pk}",
        payload={"case_id": payment.case_id},
    )


def payment_conclude_case_job(*, case_id: int) -> None:
    """The outbox handler: ask the fan-in again (idempotent)."""
    case = Case.objects.filter(pk=case_id).first()
    if case is not None:
        case_conclude_if_complete(case=case)


def payment_record_event(
    *, payment: Payment, name: str, note: str = "", actor: Any = None, data: dict | None = None
) -> None:
    """The case's timeline shows what happened to its fee."""
    CaseEvent.objects.create(
        case_id=payment.case_id,
        kind=EventKind.SYSTEM,
        name=name,
        actor=actor,
        actor_label="" if actor is not None else "payments",
        note=note,
        data={"amount": f"{payment.amount:.2f}", **(data or {})},
    )


def payment_locked(payment: Payment) -> Payment:
    return Payment.objects.select_for_update().select_related("case").get(pk=payment.pk)


def payment_order_create(*, case: Case) -> Payment:
    """The citizen presses "网上缴费": an order is placed with the gateway (once; pressing
    again reuses it) and the payment carries the URL of the payer's page."""
    if case.state not in PAYABLE_CASE_STATES:
        raise PaymentError(_("办件受理后、审结前方可网上缴费。"))
    payment = payment_for_case(case=case)
    if payment is None:
        raise PaymentError(_("本件无需缴费。"))
    if payment.state != PaymentState.PENDING:
        raise PaymentError(
            _("本件费用当前状态为「%(state)s」，无需缴费。")
            % {"state": payment.get_state_display()}
        )
    provider = payment_provider()
    if payment.provider == provider.name and payment.provider_order_id and payment.pay_url:
        return payment
    payment.case = case
    order_id, pay_url = provider.order_create(payment)  # the gateway, outside any lock
    with transaction.atomic():
        locked = payment_locked(payment)
        if locked.state == PaymentState.PENDING:
            locked.provider, locked.provider_order_id, locked.pay_url = (
                provider.name,
                order_id,
                pay_url,
            )
            locked.save(update_fields=["provider", "provider_order_id", "pay_url", "updated_at"])
    return locked


def payment_waive(*, case: Case, actor: Any, reason: str) -> Payment:
    """A clerk waives the fee, with the reason (recorded, with who); the case concludes
    if its approvals were all decided."""
    reason = (reason or "").strip()
    if not reason:
        raise WaiverReasonRequiredError(_("减免费用必须写明理由。"))
    payment = payment_for_case(case=case)
    if payment is None:
        raise PaymentError(_("本件无需缴费。"))
    with transaction.atomic():
        locked = payment_locked(payment)
        if locked.state != PaymentState.PENDING:
            raise PaymentError(
                _("本件费用当前状态为「%(state)s」，不能减免。")
                % {"state": locked.get_state_display()}
            )
        locked.waive(by=actor, reason=reason[:1000])
        locked.save(update_fields=["state", "waived_by", "waive_reason", "waived_at", "updated_at"])
        payment_record_event(
            payment=locked, name="fee_waived", note=locked.waive_reason, actor=actor
        )
        _conclude_after_commit(locked)
    return locked


def payment_mark_paid(*, payment: Payment, transaction_id: str, paid_at: Any) -> Payment:
    """Inside the caller's transaction, ``payment`` locked: paid, and the case may conclude."""
    payment.pay(transaction_id=transaction_id, paid_at=paid_at or timezone.now())
    payment.save(update_fields=["state", "provider_transaction_id", "paid_at", "updated_at"])
    payment_record_event(payment=payment, name="fee_paid", data={"transaction": transaction_id})
    _conclude_after_commit(payment)
    return payment
