from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentState(models.TextChoices):
    PENDING = "pending", _("待缴费")
    PAID = "paid", _("已缴费")
    WAIVED = "waived", _("已减免")
    REFUND_PENDING = "refund_pending", _("退款中")
    REFUNDED = "refunded", _("已退款")


# A case with a fee may conclude as approved once its payment is in one of these.
SETTLED_STATES = (PaymentState.PAID, PaymentState.WAIVED)


class NotificationOutcome(models.TextChoices):
    PAID = "paid", _("确认缴费")
    DUPLICATE = "duplicate", _("重复通知，已忽略")
    REJECTED = "rejected", _("验签失败，已拒绝")
    UNKNOWN_ORDER = "unknown_order", _("订单不存在")
    AMOUNT_MISMATCH = "amount_mismatch", _("金额不符")
    NOT_PAYABLE = "not_payable", _("订单状态不允许缴费")


# Outbox job kinds (payments/apps.py registers their handlers).
CONCLUDE_JOB = "payments_conclude_case"
REFUND_JOB = "payments_refund"
