"""A courier company's order API over HTTP: one JSON POST per parcel.

Request: ``POST <endpoint>`` with ``Content-Type: application/json`` and, when a
token is configured, ``Authorization: Bearer <token>``; the body is the
``Shipment`` as JSON. ``Idempotency-Key: <courier>:<waybill>`` lets the company
recognise a retried order. Answer: any 2xx with a JSON object carrying
``reference`` (the company's order number). Anything else — a timeout, a
refused connection, a non-2xx status, a body that is not that JSON — raises
``CourierUnavailableError`` and the order is retried later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import urllib.error
import urllib.request

from django.utils import timezone

from .base import Booking, CourierUnavailableError, Shipment


class HttpCourier:
    def __init__(self, *, endpoint: str, timeout: float = 10.0, token: str = "") -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"courier endpoint must be an http(s) URL, not {endpoint!r}")
        self.endpoint = endpoint
        self.timeout = timeout
        self.token = token

    def book(self, shipment: Shipment) -> Booking:
        body = json.dumps(shipment.as_json(), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": f"{shipment.courier}:{shipment.waybill}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise CourierUnavailableError(
                f"courier answered HTTP {error.code} for {shipment.waybill}"
            ) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CourierUnavailableError(
                f"courier not reachable for {shipment.waybill}: {reason}"
            ) from error
        try:
            answer = json.loads(raw)
            reference = str(answer["reference"]).strip()
        except (ValueError, KeyError, TypeError) as error:
            raise CourierUnavailableError(
                f"courier answer for {shipment.waybill} has no reference"
            ) from error
        if not reference:
            raise CourierUnavailableError(f"courier answer for {shipment.waybill} has no reference")
        booked_at = timezone.now()
        if isinstance(answer.get("booked_at"), str):
            with contextlib.suppress(ValueError):
                booked_at = dt.datetime.fromisoformat(answer["booked_at"])
            if timezone.is_naive(booked_at):
                booked_at = timezone.make_aware(booked_at)
        return Booking(reference=reference[:100], booked_at=booked_at)
