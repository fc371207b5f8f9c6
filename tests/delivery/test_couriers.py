"""The courier interface: the console fake by default, the HTTP courier against a real local server."""

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cases.constants import BookingStatus
from cases.couriers import (
    ConsoleCourier,
    CourierUnavailableError,
    HttpCourier,
    Shipment,
    courier_backend,
)
from cases.models import Delivery
from cases.services.delivery import deliveries_book_stale, delivery_create

from .conftest import parcel

SHIPMENT = Shipment(
    courier="EMS",
    waybill="EE123456785CN",
    tracking_no="OW20250601000001",
    recipient="𠮷野花子",
    phone="13800138000",
    province="四川省",
    city="成都市",
    district="锦江区",
    street="春熙路街道",
    detail="红星路三段1号",
    postal_code="610021",
)


class CourierServer:
    """A small courier order API on 127.0.0.1: answers each POST with the next scripted reply."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.replies: list[tuple[int, bytes, float]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                server.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                )
                status, reply, delay = (
                    server.replies.pop(0) if server.replies else (200, b'{"reference": "R1"}', 0)
                )
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/orders"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "CourierServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def courier_server():
    with CourierServer() as server:
        yield server


def test_http_courier_posts_the_shipment_as_json_and_returns_the_reference(courier_server):
    courier_server.replies.append(
        (201, b'{"reference": "EMS-ORDER-42", "booked_at": "2025-06-01T10:00:00+08:00"}', 0)
    )
    booking = HttpCourier(endpoint=courier_server.url, timeout=5, token="t0ken").book(SHIPMENT)
    assert booking.reference == "EMS-ORDER-42"
    assert booking.booked_at.isoformat() == "2025-06-01T10:00:00+08:00"
    request = courier_server.received[0]
    assert request["path"] == "/orders"
    assert request["body"]["waybill"] == "EE123456785CN"
    assert request["body"]["recipient"] == "𠮷野花子"  # outside the BMP, intact
    assert request["body"]["detail"] == "红星路三段1号"
    assert request["headers"]["Authorization"] == "Bearer t0ken"
    assert request["headers"]["Idempotency-Key"] == "EMS:EE123456785CN"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ((503, b'{"error": "busy"}', 0), "HTTP 503"),
        ((200, b"not json", 0), "has no reference"),
        ((200, b'{"order": 1}', 0), "has no reference"),
        ((200, b'{"reference": " "}', 0), "has no reference"),
    ],
)
def test_http_courier_bad_answers_are_unavailable(courier_server, reply, message):
    courier_server.replies.append(reply)
    with pytest.raises(CourierUnavailableError, match=message):
        HttpCourier(endpoint=courier_server.url, timeout=5).book(SHIPMENT)


def test_http_courier_gives_up_after_its_timeout(courier_server):
    courier_server.replies.append((200, b'{"reference": "late"}', 1.5))
    started = time.monotonic()
    with pytest.raises(CourierUnavailableError, match="not reachable"):
        HttpCourier(endpoint=courier_server.url, timeout=0.3).book(SHIPMENT)
    assert time.monotonic() - started < 1.4


def test_http_courier_unreachable_server():
    with CourierServer() as server:
        url = server.url
    with pytest.raises(CourierUnavailableError, match="not reachable"):
        HttpCourier(endpoint=url, timeout=1).book(SHIPMENT)


def test_console_courier_is_the_default_and_keeps_each_order_once(settings):
    assert isinstance(courier_backend(), ConsoleCourier)
    console = ConsoleCourier()
    first = console.book(SHIPMENT)
    console.book(SHIPMENT)
    assert console.booked == [SHIPMENT]
    assert first.reference == "console-EE123456785CN"


@pytest.mark.django_db
def test_a_parcel_is_booked_through_the_http_courier_chosen_by_settings(
    settings, courier_server, issued_case, clerk, django_capture_on_commit_callbacks
):
    settings.COURIER_BACKEND = "http"
    settings.COURIER_HTTP_ENDPOINT = courier_server.url
    settings.COURIER_HTTP_TIMEOUT = 5
    courier_server.replies.append((200, b'{"reference": "EMS-ORDER-7"}', 0))
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = delivery_create(case=issued_case, actor=clerk, **parcel())
    delivery.refresh_from_db()
    assert (delivery.booking_status, delivery.courier_reference, delivery.booking_attempts) == (
        BookingStatus.BOOKED,
        "EMS-ORDER-7",
        1,
    )
    assert courier_server.received[0]["body"]["tracking_no"] == issued_case.tracking_no


@pytest.mark.django_db
def test_a_failed_order_is_recorded_and_booked_again_by_the_sweeper(
    settings, courier_server, issued_case, clerk, django_capture_on_commit_callbacks
):
    settings.COURIER_BACKEND = "http"
    settings.COURIER_HTTP_ENDPOINT = courier_server.url
    courier_server.replies.append((500, b"{}", 0))
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = delivery_create(case=issued_case, actor=clerk, **parcel())
    delivery.refresh_from_db()
    # The parcel and the case stand; only the order is pending.
    assert delivery.status == "created"
    assert (delivery.booking_status, delivery.booking_attempts) == (BookingStatus.FAILED, 1)
    assert "HTTP 500" in delivery.booking_error
    Delivery.objects.filter(pk=delivery.pk).update(
        updated_at=delivery.updated_at - dt.timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_book_stale() == 1
    delivery.refresh_from_db()
    assert (delivery.booking_status, delivery.booking_attempts, delivery.booking_error) == (
        BookingStatus.BOOKED,
        2,
        "",
    )
    # Nothing left to book: the sweeper leaves booked parcels alone.
    assert deliveries_book_stale(older_than=dt.timedelta(0)) == 0
