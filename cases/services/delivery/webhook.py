"""The courier companies' status webhook: signed, fresh, once per event.

A call carries three headers and a JSON body:

* ``X-OneWindow-Courier``: the company code (``EMS``, ``SF``...);
* ``X-OneWindow-Timestamp``: Unix seconds when the company signed the call;
* ``X-OneWindow-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with that
  company's secret (``COURIER_WEBHOOK_SECRETS``), of ``<timestamp>.`` followed by
  the raw body bytes.

Body: ``{"event_id", "waybill", "status": "shipped"|"delivered"|"failed"|"returned",
"occurred_at" (ISO 8601 with offset), "signed_by" and "signed_at" (delivered),
"reason" (failed, returned)}``.

A call with no signature, a wrong one, or an unknown company is refused before
the body is read; a timestamp more than ``COURIER_WEBHOOK_TOLERANCE_SECONDS``
away from now is a replay and refused; an event id already received with the
same body is acknowledged again and changes nothing; the same event id with
another body is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ...constants import CourierCompany, DeliveryStatus
from ...exceptions import (
    DeliveryInputError,
    DeliveryNotFoundError,
    WebhookAuthenticationError,
    WebhookReplayError,
)
from ...models import CourierEvent, Delivery
from .courier import delivery_record_status

COURIER_HEADER = "X-OneWindow-Courier"
TIMESTAMP_HEADER = "X-OneWindow-Timestamp"
SIGNATURE_HEADER = "X-OneWindow-Signature"
SIGNATURE_PREFIX = "sha256="
WEBHOOK_STATUSES = [
    DeliveryStatus.SHIPPED,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED,
    DeliveryStatus.RETURNED,
]


@dataclass(frozen=True)
class WebhookOutcome:
    delivery: Delivery
    status: str
    duplicate: bool


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The signature a courier sends: ``sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``."""
    digest = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    return SIGNATURE_PREFIX + digest


def _secret_for(courier: str) -> str:
    secrets: dict[str, str] = getattr(settings, "COURIER_WEBHOOK_SECRETS", {}) or {}
    return str(secrets.get(courier, "") or "")


def _check_signature(*, courier: str, timestamp: str, signature: str, body: bytes) -> None:
    if not courier or not timestamp or not signature:
        raise WebhookAuthenticationError(
            _("缺少签名：回调必须带 %(courier)s、%(timestamp)s 和 %(signature)s 请求头。")
            % {
                "courier": COURIER_HEADER,
                "timestamp": TIMESTAMP_HEADER,
                "signature": SIGNATURE_HEADER,
            }
        )
    secret = _secret_for(courier)
    if courier not in CourierCompany.values or not secret:
        raise WebhookAuthenticationError(_("未登记的快递公司，回调未被接受。"))
    # Non-ASCII in a header cannot be a valid signature; compare bytes in constant time.
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body).encode("ascii")
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise WebhookAuthenticationError(_("签名不正确，回调未被接受。"))


def _check_fresh(*, timestamp: str, now: float) -> None:
    tolerance = int(getattr(settings, "COURIER_WEBHOOK_TOLERANCE_SECONDS", 300))
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise WebhookReplayError(_("时间戳应为Unix秒数。")) from None
    if abs(now - signed_at) > tolerance:
        raise WebhookReplayError(
            _("回调时间戳与当前时间相差超过%(seconds)s秒，视为重放，未被接受。")
            % {"seconds": tolerance}
        )


def _parse_time(value: Any, field: str, errors: dict[str, list[str]]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value)) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        errors[field] = [_("时间须为带时区的ISO 8601格式，如 2025-06-01T10:30:00+08:00。")]
        return None
    return parsed


def _parse_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DeliveryInputError({"body": [_("请求体须为UTF-8编码的JSON对象。")]}) from None
    if not isinstance(payload, dict):
        raise DeliveryInputError({"body": [_("请求体须为UTF-8编码的JSON对象。")]})
    errors: dict[str, list[str]] = {}
    for field in ("event_id", "waybill", "status", "occurred_at"):
        if not str(payload.get(field) or "").strip():
            errors[field] = [_("缺少字段 %(field)s。") % {"field": field}]
    event_id = str(payload.get("event_id") or "").strip()
    if len(event_id) > 100:
        errors["event_id"] = [_("事件编号最多100个字符。")]
    status = str(payload.get("status") or "").strip().lower()
    if status and status not in WEBHOOK_STATUSES:
        errors["status"] = [
            _("寄递状态「%(status)s」无效，可选：shipped、delivered、failed、returned。")
            % {"status": status}
        ]
    occurred_at = _parse_time(payload.get("occurred_at"), "occurred_at", errors)
    signed_at = _parse_time(payload.get("signed_at"), "signed_at", errors)
    if status == DeliveryStatus.DELIVERED:
        if not str(payload.get("signed_by") or "").strip():
            errors["signed_by"] = [_("签收必须注明签收人。")]
        if signed_at is None and "signed_at" not in errors:
            errors["signed_at"] = [_("签收必须注明签收时间。")]
    if errors:
        raise DeliveryInputError(errors)
    return {
        "event_id": event_id,
        "waybill": str(payload["waybill"]).strip().upper(),
        "status": status,
        "occurred_at": occurred_at,
        "signed_at": signed_at,
        "signed_by": str(payload.get("signed_by") or "").strip(),
        "reason": str(payload.get("reason") or "").strip(),
        "raw": payload,
    }


def _duplicate_of(*, courier: str, event_id: str, body_sha256: str) -> CourierEvent | None:
    earlier = (
        CourierEvent.objects.filter(courier=courier, event_id=event_id)
        .select_related("delivery")
        .first()
    )
    if earlier is None:
        return None
    if earlier.body_sha256 != body_sha256:
        raise WebhookReplayError(
            _("事件编号 %(event_id)s 已收到过不同内容，未被接受。") % {"event_id": event_id}
        )
    return earlier


def courier_webhook_receive(
    *, courier: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> WebhookOutcome:
    """Apply one signed status message of a courier company to its parcel, exactly once."""
    courier = (courier or "").strip().upper()
    timestamp = (timestamp or "").strip()
    _check_signature(courier=courier, timestamp=timestamp, signature=signature or "", body=body)
    _check_fresh(timestamp=timestamp, now=time.time() if now is None else now)
    message = _parse_body(body)
    body_sha256 = hashlib.sha256(body).hexdigest()
    earlier = _duplicate_of(courier=courier, event_id=message["event_id"], body_sha256=body_sha256)
    if earlier is not None:
        return WebhookOutcome(delivery=earlier.delivery, status=earlier.status, duplicate=True)
    delivery = Delivery.objects.filter(courier=courier, waybill=message["waybill"]).first()
    if delivery is None:
        raise DeliveryNotFoundError(
            _("没有 %(courier)s 运单 %(waybill)s 的寄递记录。")
            % {"courier": courier, "waybill": message["waybill"]}
        )
    status = message["status"]
    try:
        with transaction.atomic():
            # Lock the parcel first: a concurrent copy of this event waits here, then
            # finds the event row below and is told it is a duplicate.
            Delivery.objects.select_for_update().filter(pk=delivery.pk).first()
            earlier = _duplicate_of(
                courier=courier, event_id=message["event_id"], body_sha256=body_sha256
            )
            if earlier is not None:
                return WebhookOutcome(delivery=earlier.delivery, status=status, duplicate=True)
            occurred_at = (
                message["signed_at"] if status == DeliveryStatus.DELIVERED else None
            ) or message["occurred_at"]
            updated = delivery_record_status(
                delivery=delivery,
                status=status,
                occurred_at=occurred_at,
                signed_by=message["signed_by"],
                reason=message["reason"],
                actor=None,
                actor_label=_("快递回调（%(courier)s）") % {"courier": courier},
                source=f"webhook:{courier}",
                event_id=message["event_id"],
            )
            CourierEvent.objects.create(
                courier=courier,
                event_id=message["event_id"],
                delivery=updated,
                status=status,
                occurred_at=message["occurred_at"],
                body_sha256=body_sha256,
                payload=message["raw"],
            )
    except IntegrityError:
        earlier = _duplicate_of(
            courier=courier, event_id=message["event_id"], body_sha256=body_sha256
        )
        if earlier is None:
            raise
        return WebhookOutcome(delivery=earlier.delivery, status=earlier.status, duplicate=True)
    return WebhookOutcome(delivery=updated, status=status, duplicate=False)
