"""The HTTP registry connector against a real HTTP server started in the test.

The server (``http.server`` in a thread, on a free loopback port) plays a
department's system: each path behaves one way, and it counts the requests it
receives, so retries are observed, not assumed.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from cases.constants import VerificationOutcome
from cases.services.sharing import registry_read
from departments.connectors import (
    HttpConnector,
    RegistryUnavailableError,
    connector_for,
)
from departments.constants import ConnectorKind
from tests.factories import CaseFactory, RegistryFactory, SharingAgreementFactory, resident_id

SUBJECT = resident_id(7)
RECORD = {"name": "𠮷野花子", "status": "正常参保", "since": "2019-03"}
SLOW_SECONDS = 1.0


class DepartmentSystem(BaseHTTPRequestHandler):
    """Answers by path; ``/flaky/N`` fails with 503 N times, then answers like ``/ok``."""

    hits: Counter = Counter()
    bodies: list[dict] = []

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        type(self).bodies.append(request)
        type(self).hits[self.path] += 1
        if self.path == "/ok":
            self._answer(200, json.dumps({**RECORD, "subject": request["subject_id"]}).encode())
        elif self.path == "/missing":
            self._answer(404, b'{"detail": "no such subject"}')
        elif self.path.startswith("/flaky/"):
            failures = int(self.path.rsplit("/", 1)[1])
            if type(self).hits[self.path] <= failures:
                self._answer(503, b'{"detail": "busy"}')
            else:
                self._answer(200, json.dumps(RECORD).encode())
        elif self.path == "/always-500":
            self._answer(500, b"internal error")
        elif self.path == "/forbidden":
            self._answer(403, b'{"detail": "not allowed"}')
        elif self.path == "/not-json":
            self._answer(200, b"<html>maintenance</html>", content_type="text/html")
        elif self.path == "/list":
            self._answer(200, b"[1, 2, 3]")
        elif self.path == "/huge":
            self._answer(200, b'{"x": "' + b"a" * 5000 + b'"}')
        elif self.path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._answer(200, json.dumps(RECORD).encode())
        else:
            self._answer(400, b"unknown path")

    def _answer(
        self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may have given up waiting (the timeout tests): nothing to answer then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@pytest.fixture
def department_system():
    DepartmentSystem.hits = Counter()
    DepartmentSystem.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), DepartmentSystem)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def connector():
    return HttpConnector(
        timeout=0.3, retries=2, backoff=0.05, allow_plain_http=True, max_bytes=4096
    )


def http_registry(url: str):
    return RegistryFactory(connector=ConnectorKind.HTTP, endpoint_url=url)


@pytest.mark.django_db
def test_ok_returns_the_record_and_the_raw_body(department_system, connector):
    registry = http_registry(f"{department_system}/ok")
    result = connector.read(registry=registry, subject_id=SUBJECT)
    assert result.data == {**RECORD, "subject": SUBJECT}
    assert json.loads(result.raw_body) == result.data
    assert len(result.raw_sha256) == 64
    assert (result.status_code, result.attempts) == (200, 1)
    assert result.content_type.startswith("application/json")
    # The identity number travels in the body, with the registry's code.
    assert DepartmentSystem.bodies == [{"registry": registry.code, "subject_id": SUBJECT}]


@pytest.mark.django_db
def test_not_found_is_no_match_and_is_not_retried(department_system, connector):
    registry = http_registry(f"{department_system}/missing")
    result = connector.read(registry=registry, subject_id=SUBJECT)
    assert result.data is None
    assert not result.is_match
    assert connector.fetch(registry=registry, subject_id=SUBJECT) is None
    assert DepartmentSystem.hits["/missing"] == 2  # one request per call, no retries


@pytest.mark.django_db
def test_server_errors_are_retried_until_success(department_system, connector):
    registry = http_registry(f"{department_system}/flaky/2")
    started = time.monotonic()
    result = connector.read(registry=registry, subject_id=SUBJECT)
    assert result.data == RECORD
    assert result.attempts == 3
    assert DepartmentSystem.hits["/flaky/2"] == 3
    # Exponential backoff: 0.05 s, then 0.1 s.
    assert time.monotonic() - started >= 0.15


@pytest.mark.django_db
def test_server_errors_beyond_the_retries_are_an_error(department_system, connector):
    registry = http_registry(f"{department_system}/always-500")
    with pytest.raises(RegistryUnavailableError, match="3 attempts"):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert DepartmentSystem.hits["/always-500"] == 3


@pytest.mark.django_db
def test_client_errors_are_not_retried(department_system, connector):
    registry = http_registry(f"{department_system}/forbidden")
    with pytest.raises(RegistryUnavailableError, match="HTTP 403"):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert DepartmentSystem.hits["/forbidden"] == 1


@pytest.mark.django_db
def test_timeout_is_retried_then_an_error(department_system, connector):
    registry = http_registry(f"{department_system}/slow")
    started = time.monotonic()
    with pytest.raises(RegistryUnavailableError, match="ReadTimeout"):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert time.monotonic() - started < 3 * SLOW_SECONDS
    assert DepartmentSystem.hits["/slow"] == 3


@pytest.mark.django_db
def test_connection_refused_is_retried_then_an_error(connector):
    # A port that was free a moment ago and has nobody listening now.
    server = ThreadingHTTPServer(("127.0.0.1", 0), DepartmentSystem)
    port = server.server_address[1]
    server.server_close()
    registry = http_registry(f"http://127.0.0.1:{port}/ok")
    with pytest.raises(RegistryUnavailableError, match="3 attempts: ConnectionError"):
        connector.read(registry=registry, subject_id=SUBJECT)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/not-json", "not JSON"),
        ("/list", "not a JSON object"),
        ("/huge", "larger than 4096 bytes"),
    ],
)
def test_bad_answers_are_errors_without_retry(department_system, connector, path, message):
    registry = http_registry(f"{department_system}{path}")
    with pytest.raises(RegistryUnavailableError, match=message):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert DepartmentSystem.hits[path] == 1


@pytest.mark.django_db
def test_plain_http_is_refused_unless_allowed(department_system):
    registry = http_registry(f"{department_system}/ok")
    with pytest.raises(RegistryUnavailableError, match="use https"):
        HttpConnector(allow_plain_http=False).read(registry=registry, subject_id=SUBJECT)
    assert DepartmentSystem.hits["/ok"] == 0


@pytest.mark.django_db
def test_http_registries_get_the_http_connector():
    registry = http_registry("https://registry.example.invalid/api")
    assert isinstance(connector_for(registry), HttpConnector)


# --- through the sharing gateway: every read logged with its outcome ---

GATEWAY_SETTINGS = {
    "REGISTRY_HTTP_ALLOW_PLAIN_HTTP": True,
    "REGISTRY_HTTP_TIMEOUT": 0.3,
    "REGISTRY_HTTP_RETRIES": 1,
    "REGISTRY_HTTP_BACKOFF": 0.01,
}


def gateway_read(url: str, department):
    registry = http_registry(url)
    SharingAgreementFactory(consumer=department, registry=registry)
    return registry_read(
        registry=registry,
        subject_id=SUBJECT,
        purpose="办理就业登记核验参保",
        department=department,
        case=CaseFactory(),
    )


@pytest.mark.django_db
@override_settings(**GATEWAY_SETTINGS)
@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("/ok", VerificationOutcome.OK),
        ("/missing", VerificationOutcome.NO_MATCH),
        ("/flaky/1", VerificationOutcome.OK),
        ("/slow", VerificationOutcome.ERROR),
    ],
)
def test_gateway_logs_the_outcome_of_an_http_read(department_system, department, path, outcome):
    reading = gateway_read(f"{department_system}{path}", department)
    assert reading.outcome == outcome
    assert reading.verification.requesting_department == department
    assert reading.verification.subject_id == SUBJECT
    if outcome == VerificationOutcome.OK:
        assert reading.data["status"] == "正常参保"
        assert len(reading.verification.response_sha256) == 64
    else:
        assert reading.data is None
        assert reading.verification.response_sha256 == ""
