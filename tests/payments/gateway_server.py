"""A payment gateway on a real local HTTP server: the true external edge, faked.

It speaks what ``HttpGatewayProvider`` documents: ``POST /orders``, ``GET /statements``,
``POST /refunds``, each signed with the merchant key, which it verifies (a wrong
signature is answered 401). Orders and refunds are recorded; the statement answers
``statement_lines`` (set by the test); every answer is signed back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlparse

from payments.providers.base import signature, signature_is_valid, signed

MERCHANT_KEY = "test-merchant-key"
MERCHANT_ID = "onewindow-test"


class GatewayServer:
    def __init__(self) -> None:
        self.orders: list[dict[str, str]] = []
        self.refunds: list[dict[str, str]] = []
        self.statement_lines: list[dict[str, str]] = []
        self.rejected = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _fields(self, raw: str) -> dict[str, str] | None:
                fields = dict(parse_qsl(raw, keep_blank_values=True))
                if (
                    not signature_is_valid(fields, MERCHANT_KEY)
                    or fields.get("merchant_id") != MERCHANT_ID
                ):
                    server.rejected += 1
                    self._answer(401, {"error": "bad signature"})
                    return None
                return fields

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fields = self._fields(self.rfile.read(length).decode())
                if fields is None:
                    return
                if self.path == "/orders":
                    server.orders.append(fields)
                    pay_url = f"https://pay.example.test/cashier?order={fields['order_id']}"
                    self._answer(
                        200,
                        signed({"order_id": fields["order_id"], "pay_url": pay_url}, MERCHANT_KEY),
                    )
                elif self.path == "/refunds":
                    if not any(r["refund_id"] == fields["refund_id"] for r in server.refunds):
                        server.refunds.append(fields)
                    self._answer(200, {"status": "SUCCESS", "refund_id": fields["refund_id"]})
                else:
                    self._answer(404, {})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                fields = self._fields(url.query)
                if fields is None:
                    return
                lines = server.statement_lines
                lines_json = json.dumps(
                    lines, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                )
                sign = signature({"day": fields["day"], "lines": lines_json}, MERCHANT_KEY)
                self._answer(200, {"day": fields["day"], "lines": lines, "sign": sign})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def notification(
        self, *, order_id: str, transaction_id: str, amount: str, key: str = MERCHANT_KEY
    ) -> bytes:
        """The body this gateway posts to our notification endpoint."""
        fields = signed(
            {
                "merchant_id": MERCHANT_ID,
                "order_id": order_id,
                "transaction_id": transaction_id,
                "amount": amount,
                "status": "SUCCESS",
                "paid_at": "2025-03-04T10:00:00+08:00",
            },
            key,
        )
        return urlencode(fields).encode()


@contextmanager
def gateway_server() -> Iterator[GatewayServer]:
    server = GatewayServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
