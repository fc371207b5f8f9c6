"""The HTTP registry connector against a real HTTP server started in the test.

The server (tests/registry_server.py: ``http.server`` in a thread, on a free loopback
port) plays a department's system: it answers from its records, fails as each test
switches it to, and counts the requests it receives, so retries are observed, not
assumed.
"""

from __future__ import annotations

import json
import time

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
from tests.registry_server import RegistryServer

SUBJECT = resident_id(7)
RECORD = {"name": "𠮷野花子", "status": "正常参保", "since": "2019-03"}
SLOW_SECONDS = 1.0


@pytest.fixture
def department_system():
    with RegistryServer(records={SUBJECT: RECORD}) as server:
        yield server


@pytest.fixture
def connector():
    return HttpConnector(
        timeout=0.3, retries=2, backoff=0.05, allow_plain_http=True, max_bytes=4096
    )


def http_registry(url: str):
    return RegistryFactory(connector=ConnectorKind.HTTP, endpoint_url=url)


@pytest.mark.django_db
def test_ok_returns_the_record_and_the_raw_body(department_system, connector):
    registry = http_registry(f"{department_system.url}/ok")
    result = connector.read(registry=registry, subject_id=SUBJECT)
    assert result.data == RECORD
    assert json.loads(result.raw_body) == result.data
    assert len(result.raw_sha256) == 64
    assert (result.status_code, result.attempts) == (200, 1)
    assert result.content_type.startswith("application/json")
    # The identity number travels in the body, with the registry's code.
    assert [request.body for request in department_system.requests] == [
        {"registry": registry.code, "subject_id": SUBJECT}
    ]


@pytest.mark.django_db
def test_not_found_is_no_match_and_is_not_retried(department_system, connector):
    registry = http_registry(f"{department_system.url}/missing")
    result = connector.read(registry=registry, subject_id=resident_id(8))
    assert result.data is None
    assert not result.is_match
    assert connector.fetch(registry=registry, subject_id=resident_id(8)) is None
    assert department_system.hits["/missing"] == 2  # one request per call, no retries


@pytest.mark.django_db
def test_server_errors_are_retried_until_success(department_system, connector):
    registry = http_registry(f"{department_system.url}/flaky")
    department_system.fail(503, times=2)
    started = time.monotonic()
    result = connector.read(registry=registry, subject_id=SUBJECT)
    assert result.data == RECORD
    assert result.attempts == 3
    assert department_system.hits["/flaky"] == 3
    # Exponential backoff: 0.05 s, then 0.1 s.
    assert time.monotonic() - started >= 0.15


@pytest.mark.django_db
def test_server_errors_beyond_the_retries_are_an_error(department_system, connector):
    registry = http_registry(f"{department_system.url}/always-500")
    department_system.fail(500)
    with pytest.raises(RegistryUnavailableError, match="3 attempts"):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert department_system.hits["/always-500"] == 3


@pytest.mark.django_db
def test_client_errors_are_not_retried(department_system, connector):
    registry = http_registry(f"{department_system.url}/forbidden")
    department_system.fail(403)
    with pytest.raises(RegistryUnavailableError, match="HTTP 403"):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert department_system.hits["/forbidden"] == 1


@pytest.mark.django_db
def test_timeout_is_retried_then_an_error(department_system, connector):
    registry = http_registry(f"{department_system.url}/slow")
    department_system.hang(SLOW_SECONDS)
    started = time.monotonic()
    with pytest.raises(RegistryUnavailableError, match="ReadTimeout"):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert time.monotonic() - started < 3 * SLOW_SECONDS
    assert department_system.hits["/slow"] == 3


@pytest.mark.django_db
def test_connection_refused_is_retried_then_an_error(connector):
    # A port that was free a moment ago and has nobody listening now.
    with RegistryServer() as server:
        url = f"{server.url}/ok"
    registry = http_registry(url)
    with pytest.raises(RegistryUnavailableError, match="3 attempts: ConnectionError"):
        connector.read(registry=registry, subject_id=SUBJECT)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>maintenance</html>", "not JSON"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b'{"x": "' + b"a" * 5000 + b'"}', "larger than 4096 bytes"),
    ],
    ids=["not-json", "list", "huge"],
)
def test_bad_answers_are_errors_without_retry(department_system, connector, body, message):
    registry = http_registry(department_system.url)
    department_system.answer(body)
    with pytest.raises(RegistryUnavailableError, match=message):
        connector.read(registry=registry, subject_id=SUBJECT)
    assert department_system.request_count == 1


@pytest.mark.django_db
def test_plain_http_is_refused_unless_allowed(department_system):
    registry = http_registry(f"{department_system.url}/ok")
    with pytest.raises(RegistryUnavailableError, match="use https"):
        HttpConnector(allow_plain_http=False).read(registry=registry, subject_id=SUBJECT)
    assert department_system.request_count == 0


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


def gateway_read(url: str, department, subject_id: str = SUBJECT):
    registry = http_registry(url)
    SharingAgreementFactory(consumer=department, registry=registry)
    return registry_read(
        registry=registry,
        subject_id=subject_id,
        purpose="办理就业登记核验参保",
        department=department,
        case=CaseFactory(),
    )


@pytest.mark.django_db
@override_settings(**GATEWAY_SETTINGS)
@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [
        ("ok", VerificationOutcome.OK),
        ("missing", VerificationOutcome.NO_MATCH),
        ("flaky", VerificationOutcome.OK),
        ("slow", VerificationOutcome.ERROR),
    ],
)
def test_gateway_logs_the_outcome_of_an_http_read(
    department_system, department, behaviour, outcome
):
    subject = resident_id(8) if behaviour == "missing" else SUBJECT
    if behaviour == "flaky":
        department_system.fail(503, times=1)
    elif behaviour == "slow":
        department_system.hang(SLOW_SECONDS)
    reading = gateway_read(department_system.url, department, subject)
    assert reading.outcome == outcome
    assert reading.verification.requesting_department == department
    assert reading.verification.subject_id == subject
    if outcome == VerificationOutcome.OK:
        assert reading.data["status"] == "正常参保"
        assert len(reading.verification.response_sha256) == 64
    else:
        assert reading.data is None
        assert reading.verification.response_sha256 == ""
