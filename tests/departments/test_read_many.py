"""Batch reads of the connectors (issue 16.4): ``read_many`` on a local table and over HTTP.

The HTTP tests talk to a real HTTP server on a loopback port (tests/registry_server.py),
which counts the requests and the ids in each, so chunking and retries are observed."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from departments.connectors import (
    HttpConnector,
    LocalTableConnector,
    RegistryUnavailableError,
    connector_for,
)
from departments.constants import ConnectorKind
from departments.selectors import registry_records_data, registry_records_data_orm
from tests.factories import RegistryFactory, RegistryRecordFactory, resident_id, uscc
from tests.registry_server import RegistryServer

pytestmark = pytest.mark.django_db

PURPOSE = "2026年第1期小客车指标摇号资格审核"


def record_reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries if "registryrecord" in query["sql"].lower()]


# --- the local table --------------------------------------------------------------


@pytest.fixture
def local_registry():
    registry = RegistryFactory(code="POPULATION")
    for n in range(6):
        RegistryRecordFactory(
            registry=registry, subject_id=resident_id(n), data={"n": n, "姓名": "𠮷野"}
        )
    # The same subjects in another registry must not leak into the answer.
    other = RegistryFactory(code="VEHICLE")
    for n in range(10):
        RegistryRecordFactory(registry=other, subject_id=resident_id(n), data={"cars": 1})
    return registry


def test_local_answers_every_id_asked_with_its_record_or_none(local_registry):
    asked = [resident_id(0), resident_id(5), resident_id(7), uscc(3)]
    answer = LocalTableConnector().read_many(
        registry=local_registry, subject_ids=asked, purpose=PURPOSE
    )
    assert answer == {
        resident_id(0): {"n": 0, "姓名": "𠮷野"},
        resident_id(5): {"n": 5, "姓名": "𠮷野"},
        resident_id(7): None,
        uscc(3): None,
    }
    assert list(answer) == asked  # in the order asked


def test_local_asks_each_id_once(local_registry):
    asked = [resident_id(1), resident_id(9), resident_id(1), resident_id(9), resident_id(1)]
    with CaptureQueriesContext(connection) as queries:
        answer = LocalTableConnector().read_many(
            registry=local_registry, subject_ids=asked, purpose=PURPOSE
        )
    assert answer == {resident_id(1): {"n": 1, "姓名": "𠮷野"}, resident_id(9): None}
    assert len(record_reads(queries)) == 1


@override_settings(REGISTRY_BATCH_SIZE=2)
def test_local_reads_one_query_per_chunk(local_registry):
    asked = [resident_id(n) for n in range(7)]
    with CaptureQueriesContext(connection) as queries:
        answer = LocalTableConnector().read_many(
            registry=local_registry, subject_ids=asked, purpose=PURPOSE
        )
    assert len(record_reads(queries)) == 4  # 2 + 2 + 2 + 1
    assert [subject for subject, data in answer.items() if data is None] == [resident_id(6)]


def test_local_with_no_ids_reads_nothing(local_registry, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert (
            LocalTableConnector().read_many(
                registry=local_registry, subject_ids=[], purpose=PURPOSE
            )
            == {}
        )


def test_the_batch_selector_answers_what_the_orm_answers(local_registry):
    # On PostgreSQL the selector is plain SQL (= ANY); it must agree with the ORM.
    asked = [resident_id(n) for n in range(0, 12, 2)] + [uscc(1), "not-a-subject"]
    assert registry_records_data(
        registry_id=local_registry.pk, subject_ids=asked
    ) == registry_records_data_orm(registry_id=local_registry.pk, subject_ids=asked)
    assert registry_records_data(registry_id=local_registry.pk, subject_ids=asked)[
        resident_id(4)
    ] == {"n": 4, "姓名": "𠮷野"}


def test_an_id_holding_a_comma_is_still_read_as_itself(local_registry):
    """The PostgreSQL selector sends the ids as one comma-joined string; an id with a comma
    in it (never a valid one) goes as an array instead, so it cannot split into others."""
    RegistryRecordFactory(registry=local_registry, subject_id="a,b", data={"odd": True})
    asked = ["a,b", resident_id(0), "a", "b"]
    answer = registry_records_data(registry_id=local_registry.pk, subject_ids=asked)
    assert answer == registry_records_data_orm(registry_id=local_registry.pk, subject_ids=asked)
    assert answer == {"a,b": {"odd": True}, resident_id(0): {"n": 0, "姓名": "𠮷野"}}


# --- over HTTP --------------------------------------------------------------------

RECORDS = {resident_id(n): {"status": "正常", "n": n, "姓名": "𠮷"} for n in range(5)}
ASKED = [resident_id(n) for n in range(7)]  # 5 and 6 have no record
EXPECTED = {subject: RECORDS.get(subject) for subject in ASKED}


@pytest.fixture
def server():
    with RegistryServer(records=RECORDS) as running:
        yield running


@pytest.fixture
def connector():
    return HttpConnector(
        timeout=0.3,
        retries=2,
        backoff=0.05,
        allow_plain_http=True,
        batch_size=3,
        batch_timeout=0.3,
        batch_max_bytes=4096,
    )


def http_registry(url: str):
    return RegistryFactory(code="SOCIAL_INSURANCE", connector=ConnectorKind.HTTP, endpoint_url=url)


def test_http_reads_in_chunks_of_the_batch_size(server, connector):
    registry = http_registry(f"{server.url}/api/")  # the trailing slash is not doubled
    answer = connector.read_many(registry=registry, subject_ids=ASKED, purpose=PURPOSE)
    assert answer == EXPECTED
    assert server.batch_ids == [ASKED[0:3], ASKED[3:6], ASKED[6:7]]
    assert {request.path for request in server.requests} == {"/api/batch"}
    assert server.requests[0].body == {
        "registry": "SOCIAL_INSURANCE",
        "subject_ids": ASKED[0:3],
        "purpose": PURPOSE,
    }


def test_http_asks_each_id_once(server, connector):
    registry = http_registry(server.url)
    asked = [ASKED[0], ASKED[6], ASKED[0], ASKED[6]]
    answer = connector.read_many(registry=registry, subject_ids=asked, purpose=PURPOSE)
    assert answer == {ASKED[0]: RECORDS[ASKED[0]], ASKED[6]: None}
    assert server.batch_ids == [[ASKED[0], ASKED[6]]]


@override_settings(
    REGISTRY_HTTP_ALLOW_PLAIN_HTTP=True,
    REGISTRY_HTTP_BATCH_SIZE=4,
    REGISTRY_HTTP_RETRIES=0,
)
def test_http_batch_size_comes_from_the_settings(server):
    registry = http_registry(server.url)
    connector_for(registry).read_many(registry=registry, subject_ids=ASKED, purpose=PURPOSE)
    assert [len(ids) for ids in server.batch_ids] == [4, 3]


def test_http_server_errors_are_retried_until_success(server, connector):
    registry = http_registry(server.url)
    server.fail(503, times=2)
    started = time.monotonic()
    answer = connector.read_many(registry=registry, subject_ids=ASKED[:3], purpose=PURPOSE)
    assert answer == {subject: EXPECTED[subject] for subject in ASKED[:3]}
    assert server.batch_request_count == 3
    assert time.monotonic() - started >= 0.15  # backoff 0.05 s, then 0.1 s


def test_http_a_timeout_is_retried_until_success(server, connector):
    registry = http_registry(server.url)
    server.hang(1.0, times=1)
    answer = connector.read_many(registry=registry, subject_ids=ASKED[:3], purpose=PURPOSE)
    assert answer == {subject: EXPECTED[subject] for subject in ASKED[:3]}
    assert server.batch_request_count == 2


def test_http_retries_exhausted_are_unavailable(server, connector):
    registry = http_registry(server.url)
    server.fail(503)
    with pytest.raises(RegistryUnavailableError, match="3 attempts: HTTP 503"):
        connector.read_many(registry=registry, subject_ids=ASKED, purpose=PURPOSE)
    assert server.batch_request_count == 3  # the first chunk only: no answer for anyone


def test_http_a_hanging_registry_is_unavailable_after_the_timeouts(server, connector):
    registry = http_registry(server.url)
    server.hang(5.0)
    started = time.monotonic()
    with pytest.raises(RegistryUnavailableError, match="ReadTimeout"):
        connector.read_many(registry=registry, subject_ids=ASKED[:2], purpose=PURPOSE)
    assert time.monotonic() - started < 3.0
    assert server.batch_request_count == 3


def test_http_a_failure_in_a_later_chunk_fails_the_whole_read(server, connector):
    registry = http_registry(server.url)
    server.omit(ASKED[4])  # in the second chunk
    with pytest.raises(RegistryUnavailableError, match="leaves out 1 of the 3 subjects"):
        connector.read_many(registry=registry, subject_ids=ASKED, purpose=PURPOSE)
    assert server.batch_request_count == 2


MALFORMED = [
    ("not-json", b"<html>maintenance</html>", 200, "not JSON"),
    ("a-list", b"[1, 2, 3]", 200, "not a JSON object"),
    ("no-records", b'{"result": {}}', 200, 'no "records" object'),
    ("records-a-list", b'{"records": []}', 200, 'no "records" object'),
    ("record-a-string", json.dumps({"records": {s: "正常" for s in ASKED[:3]}}).encode(), 200,
     "neither an object nor null"),
    ("record-a-list", json.dumps({"records": {**{s: None for s in ASKED[:3]}, ASKED[1]: [1]}}).encode(),
     200, "1 records that are neither"),
    ("too-large", b'{"records": {"x": "' + b"a" * 5000 + b'"}}', 200, "larger than 4096 bytes"),
    ("not-found", b'{"detail": "no batch here"}', 404, "HTTP 404"),
    ("forbidden", b'{"detail": "no agreement"}', 403, "HTTP 403"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [item[1:] for item in MALFORMED],
    ids=[item[0] for item in MALFORMED],
)
def test_http_a_malformed_answer_is_unavailable_without_retry(
    server, connector, body, status, message
):
    registry = http_registry(server.url)
    server.answer(body, status=status)
    with pytest.raises(RegistryUnavailableError, match=message):
        connector.read_many(registry=registry, subject_ids=ASKED[:3], purpose=PURPOSE)
    assert server.batch_request_count == 1


def test_http_an_omitted_id_is_unavailable(server, connector):
    registry = http_registry(server.url)
    server.omit(ASKED[1])
    with pytest.raises(RegistryUnavailableError, match="leaves out 1 of the 3"):
        connector.read_many(registry=registry, subject_ids=ASKED[:3], purpose=PURPOSE)


def test_http_plain_http_is_refused_unless_allowed(server):
    registry = http_registry(server.url)
    with pytest.raises(RegistryUnavailableError, match="use https"):
        HttpConnector(allow_plain_http=False).read_many(
            registry=registry, subject_ids=ASKED, purpose=PURPOSE
        )
    assert server.request_count == 0


def test_http_the_server_serves_each_registry_its_own_records(connector):
    with RegistryServer(
        registries={"SOCIAL_INSURANCE": {ASKED[0]: {"months": 72}}}, records={ASKED[0]: {}}
    ) as server:
        registry = http_registry(server.url)
        assert connector.read_many(registry=registry, subject_ids=ASKED[:1], purpose=PURPOSE) == {
            ASKED[0]: {"months": 72}
        }
        assert connector.fetch(registry=registry, subject_id=ASKED[0]) == {"months": 72}
        assert server.single_ids == [ASKED[0]]


def test_the_shared_fixture_serves_single_and_batch_reads(registry_server, connector):
    registry_server.records[ASKED[2]] = {"status": "正常"}
    registry = http_registry(registry_server.url)
    assert connector.read_many(registry=registry, subject_ids=ASKED[2:4], purpose=PURPOSE) == {
        ASKED[2]: {"status": "正常"},
        ASKED[3]: None,
    }
    assert connector.fetch(registry=registry, subject_id=ASKED[3]) is None
    assert (registry_server.batch_ids, registry_server.single_ids) == ([ASKED[2:4]], [ASKED[3]])
