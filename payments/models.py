"""A case's fee and how it was settled, and every notification the gateway sent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from cases.models import Case

from .constants import NotificationOutcome, PaymentState


class Payment(models.Model):
    """The fee of one case (the sum of its items' fees when the row was created) and
    its settlement. Transitions change only this row; ``payments.services`` runs them
    under a row lock."""

    case = models.OneToOneField(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="payment"
    )
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)
    state = FSMField(
        _("状态"), max_length=20, choices=PaymentState.choices, default=PaymentState.PENDING
    )
    provider = models.CharField(_("支付渠道"), max_length=20, blank=True)
    provider_order_id = models.CharField(
        _("支付订单号"), max_length=64, null=True, blank=True, unique=True
    )
    # Unique: a replayed notification cannot mark a second payment, nor this one twice.
    provider_transaction_id = models.CharField(
        _("支付流水号"), max_length=64, null=True, blank=True, unique=True
    )
    pay_url = models.URLField(_("支付页面"), max_length=500, blank=True)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("减免人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    waive_reason = models.TextField(_("减免理由"), blank=True)
    waived_at = models.DateTimeField(_("减免时间"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("缴费")
        verbose_name_plural = _("缴费")
        indexes = [models.Index(fields=["paid_at"], name="payment_paid_at")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state=PaymentState.WAIVED) | ~Q(waive_reason=""),
                name="payment_waiver_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.amount}"

    # --- transitions: change this row only ---

    @transition(field=state, source=PaymentState.PENDING, target=PaymentState.PAID)
    def pay(self, *, transaction_id: str, paid_at: dt.datetime) -> None:
        self.provider_transaction_id = transaction_id
        self.paid_at = paid_at

    @transition(field=state, source=PaymentState.PENDING, target=PaymentState.WAIVED)
    def waive(self, *, by: object, reason: str) -> None:
        self.waived_by = by
        self.waive_reason = reason
        self.waived_at = timezone.now()

    @transition(field=state, source=PaymentState.PAID, target=PaymentState.REFUND_PENDING)
    def refund_start(self) -> None:
        """The case was denied: the money goes back (the gateway is asked after commit)."""

    @transition(field=state, source=PaymentState.REFUND_PENDING, target=PaymentState.REFUNDED)
    def refund_complete(self) -> None:
        self.refunded_at = timezone.now()


class PaymentNotification(models.Model):
    """Every notification the gateway posted, valid or not: the audit of the money."""

    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    provider = models.CharField(_("支付渠道"), max_length=20)
    body_sha256 = models.CharField(_("报文摘要"), max_length=64)
    is_signature_valid = models.BooleanField(_("签名有效"))
    provider_order_id = models.CharField(_("支付订单号"), max_length=64, blank=True)
    provider_transaction_id = models.CharField(_("支付流水号"), max_length=64, blank=True)
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("缴费"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    outcome = models.CharField(_("处理结果"), max_length=20, choices=NotificationOutcome.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_order_id} {self.outcome}"
