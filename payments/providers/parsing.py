"""Reading a gateway notification's form body into a ``VerifiedNotification``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import NotificationInvalidError
from .base import VerifiedNotification, signature_is_valid

REQUIRED_FIELDS = ("order_id", "transaction_id", "amount", "status", "paid_at", "sign")


def form_fields(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotificationInvalidError(_("支付通知不是 UTF-8 文本。")) from error
    return dict(parse_qsl(text, keep_blank_values=True))


def verified_notification(
    fields: dict[str, str], *, key: str, merchant_id: str = ""
) -> VerifiedNotification:
    """The notification, if its ``sign`` is the HMAC of its fields under ``key`` and it
    says the order was paid; otherwise ``NotificationInvalidError`` with the reason."""
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        raise NotificationInvalidError(
            _("支付通知缺少字段：%(fields)s。") % {"fields": "、".join(missing)}
        )
    if not signature_is_valid(fields, key):
        raise NotificationInvalidError(_("支付通知签名无效。"))
    if merchant_id and fields.get("merchant_id") != merchant_id:
        raise NotificationInvalidError(_("支付通知的商户号不是本平台的。"))
    if fields["status"] != "SUCCESS":
        raise NotificationInvalidError(
            _("支付通知的状态「%(status)s」不是支付成功。") % {"status": fields["status"]}
        )
    try:
        amount = Decimal(fields["amount"])
        paid_at = dt.datetime.fromisoformat(fields["paid_at"])
    except (InvalidOperation, ValueError) as error:
        raise NotificationInvalidError(_("支付通知的金额或时间格式不正确。")) from error
    if timezone.is_naive(paid_at):
        paid_at = timezone.make_aware(paid_at)
    return VerifiedNotification(
        order_id=fields["order_id"][:64],
        transaction_id=fields["transaction_id"][:64],
        amount=amount,
        paid_at=paid_at,
    )
