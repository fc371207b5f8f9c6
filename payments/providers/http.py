"""A payment gateway over HTTP, in the pattern of the big Chinese gateways.

Every request carries ``merchant_id``, ``timestamp`` and ``nonce`` and is signed:
``sign`` = hex HMAC-SHA256, under the merchant key (``PAYMENT_HTTP_TOKEN``), of the
canonical string (``key=value`` sorted by key, joined by ``&``, empty values and
``sign`` left out). The gateway signs what it sends us the same way.

* ``POST <endpoint>/orders`` (form): ``order_id``, ``amount`` (yuan, two decimals),
  ``subject``, ``notify_url`` → JSON ``{"order_id", "pay_url", "sign"}``.
* The notification: ``POST /api/v1/payments/notify/`` (form) with ``merchant_id``,
  ``order_id``, ``transaction_id``, ``amount``, ``status=SUCCESS``, ``paid_at``,
  ``sign``; we answer ``success`` once it is recorded (the gateway retries until then).
* ``GET <endpoint>/statements?day=YYYY-MM-DD`` (signed query) → JSON ``{"day", "lines":
  [{"order_id", "transaction_id", "amount"}...], "sign"}``, ``sign`` over ``day`` and
  the lines' canonical JSON.
* ``POST <endpoint>/refunds`` (form): ``order_id``, ``transaction_id``, ``refund_id``,
  ``amount`` → JSON ``{"status": "SUCCESS"}``; the refund id is the order's, so a
  retried refund is recognised by the gateway.

Anything unreachable, non-2xx or unsigned raises ``ProviderUnavailableError``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.utils import timezone

from ..exceptions import ProviderUnavailableError
from .base import (
    StatementLine,
    VerifiedNotification,
    order_id_for,
    signature_is_valid,
    signed,
)
from .parsing import form_fields, verified_notification

if TYPE_CHECKING:
    from ..models import Payment


class HttpGatewayProvider:
    name = "http"

    def __init__(self, *, endpoint: str, timeout: float = 10.0, token: str = "") -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"payment endpoint must be an http(s) URL, not {endpoint!r}")
        if not token:
            raise ValueError("PAYMENT_BACKEND=http needs PAYMENT_HTTP_TOKEN (the merchant key)")
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.key = token

    @property
    def merchant_id(self) -> str:
        return getattr(settings, "PAYMENT_MERCHANT_ID", "onewindow")

    # --- requests to the gateway ---

    def _signed(self, parameters: Mapping[str, object]) -> dict[str, str]:
        return signed(
            {
                **parameters,
                "merchant_id": self.merchant_id,
                "timestamp": timezone.now().isoformat(timespec="seconds"),
                "nonce": secrets.token_hex(8),
            },
            self.key,
        )

    def _call(self, method: str, path: str, parameters: Mapping[str, object]) -> dict[str, Any]:
        data = self._signed(parameters)
        url = f"{self.endpoint}{path}"
        try:
            if method == "GET":
                response = requests.get(url, params=data, timeout=self.timeout)
            else:
                response = requests.post(url, data=data, timeout=self.timeout)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailableError(f"payment gateway {path}: {error}") from error
        if not isinstance(answer, dict):
            raise ProviderUnavailableError(f"payment gateway {path}: answer is not an object")
        return answer

    def _verified(self, answer: dict[str, Any], fields: Mapping[str, object], path: str) -> None:
        if not signature_is_valid({**fields, "sign": answer.get("sign")}, self.key):
            raise ProviderUnavailableError(f"payment gateway {path}: answer signature invalid")

    def order_create(self, payment: Payment) -> tuple[str, str]:
        order_id = order_id_for(payment)
        notify_url = getattr(
            settings,
            "PAYMENT_NOTIFY_URL",
            f"{settings.PUBLIC_BASE_URL.rstrip('/')}/api/v1/payments/notify/",
        )
        answer = self._call(
            "POST",
            "/orders",
            {
                "order_id": order_id,
                "amount": f"{payment.amount:.2f}",
                "subject": payment.case.tracking_no,
                "notify_url": notify_url,
            },
        )
        pay_url = str(answer.get("pay_url") or "")
        self._verified(answer, {"order_id": answer.get("order_id"), "pay_url": pay_url}, "/orders")
        if answer.get("order_id") != order_id or not pay_url.startswith(("http://", "https://")):
            raise ProviderUnavailableError("payment gateway /orders: no payment page for the order")
        return order_id, pay_url

    def notification_parse(self, body: bytes, headers: Mapping[str, str]) -> VerifiedNotification:
        return verified_notification(form_fields(body), key=self.key, merchant_id=self.merchant_id)

    def statement_fetch(self, day: dt.date) -> list[StatementLine]:
        answer = self._call("GET", "/statements", {"day": day.isoformat()})
        raw_lines = answer.get("lines")
        if not isinstance(raw_lines, list):
            raise ProviderUnavailableError("payment gateway /statements: no lines")
        lines_json = json.dumps(
            raw_lines, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        self._verified(answer, {"day": answer.get("day"), "lines": lines_json}, "/statements")
        try:
            return [
                StatementLine(
                    order_id=str(line["order_id"]),
                    transaction_id=str(line["transaction_id"]),
                    amount=Decimal(str(line["amount"])),
                )
                for line in raw_lines
            ]
        except (KeyError, TypeError, InvalidOperation) as error:
            raise ProviderUnavailableError("payment gateway /statements: bad line") from error

    def refund(self, payment: Payment) -> None:
        answer = self._call(
            "POST",
            "/refunds",
            {
                "order_id": payment.provider_order_id,
                "transaction_id": payment.provider_transaction_id,
                "refund_id": f"R-{payment.provider_order_id}",
                "amount": f"{payment.amount:.2f}",
            },
        )
        if answer.get("status") != "SUCCESS":
            raise ProviderUnavailableError(
                f"payment gateway /refunds: {answer.get('status')!r} for {payment.provider_order_id}"
            )
