"""The sharing gateway's batch read (issue 16.4): refused without an agreement, logged
per person per registry at once and only once, never inside a caller's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from departments.constants import ConnectorKind
from departments.models import SharingAgreement
from sharing.models import BatchOutcome, BatchRead, BatchReadSubject
from sharing.selectors import batch_reads_about
from sharing.services import (
    ReadInTransactionError,
    SharingError,
    registry_read_batch,
    sharing_purpose_get_or_create,
    subject_rows_insert,
)
from tests.factories import (
    DepartmentFactory,
    RegistryFactory,
    RegistryRecordFactory,
    SharingAgreementFactory,
    resident_id,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting():
    consumer = DepartmentFactory(code="JT", name="市交通委员会")
    registry = RegistryFactory(code="VEHICLE", name="机动车登记信息库")
    SharingAgreementFactory(consumer=consumer, registry=registry)
    for n in range(4):
        RegistryRecordFactory(
            registry=registry, subject_id=resident_id(n), data={"passenger_cars": n, "车主": "𠮷"}
        )
    purpose = sharing_purpose_get_or_create(
        key="lottery:2026-6", purpose="2026年第6期小客车指标摇号资格审核", department=consumer
    )
    return consumer, registry, purpose


def test_a_batch_read_answers_every_subject_and_logs_each_once(setting):
    _consumer, registry, purpose = setting
    asked = [resident_id(n) for n in (0, 1, 7, 1)]
    reading = registry_read_batch(
        purpose=purpose, registry=registry, subject_ids=asked, fields=["passenger_cars"]
    )
    assert reading.ok
    assert reading.records == {
        resident_id(0): {"passenger_cars": 0},
        resident_id(1): {"passenger_cars": 1},
        resident_id(7): None,
    }
    read = BatchRead.objects.get()
    assert (read.outcome, read.subjects, read.found) == (BatchOutcome.OK, 3, 2)
    assert len(read.request_sha256) == 64 and len(read.response_sha256) == 64
    rows = dict(BatchReadSubject.objects.values_list("subject_id", "found"))
    assert rows == {resident_id(0): True, resident_id(1): True, resident_id(7): False}


def test_a_chunk_read_again_logs_only_what_is_missing(setting):
    _consumer, registry, purpose = setting
    registry_read_batch(
        purpose=purpose, registry=registry, subject_ids=[resident_id(0), resident_id(1)]
    )
    registry_read_batch(
        purpose=purpose, registry=registry, subject_ids=[resident_id(n) for n in range(4)]
    )
    assert BatchRead.objects.count() == 2
    assert BatchReadSubject.objects.count() == 4
    assert sorted(BatchReadSubject.objects.values_list("subject_id", flat=True)) == sorted(
        resident_id(n) for n in range(4)
    )


def test_without_an_agreement_the_read_is_denied_and_discloses_nothing(setting):
    _consumer, registry, _purpose = setting
    stranger = DepartmentFactory(code="ZZ", name="无协议部门")
    purpose = sharing_purpose_get_or_create(key="other", purpose="其他用途", department=stranger)
    reading = registry_read_batch(purpose=purpose, registry=registry, subject_ids=[resident_id(0)])
    assert not reading.ok and reading.records == {}
    assert BatchRead.objects.get().outcome == BatchOutcome.DENIED
    assert not BatchReadSubject.objects.exists()


def test_an_expired_agreement_denies_too(setting):
    consumer, registry, purpose = setting
    SharingAgreement.objects.filter(consumer=consumer, registry=registry).update(
        valid_from=dt.date(2024, 1, 1), valid_until=dt.date(2025, 1, 1)
    )
    reading = registry_read_batch(purpose=purpose, registry=registry, subject_ids=[resident_id(0)])
    assert reading.outcome == BatchOutcome.DENIED


def test_a_registry_that_cannot_answer_gives_an_error_row_and_no_subject_rows(
    setting, registry_server, settings
):
    settings.REGISTRY_HTTP_ALLOW_PLAIN_HTTP = True
    settings.REGISTRY_HTTP_RETRIES = 0
    consumer, _registry, purpose = setting
    remote = RegistryFactory(
        code="INCOME_TAX", connector=ConnectorKind.HTTP, endpoint_url=registry_server.url
    )
    SharingAgreementFactory(consumer=consumer, registry=remote)
    registry_server.fail()
    reading = registry_read_batch(purpose=purpose, registry=remote, subject_ids=[resident_id(0)])
    assert reading.outcome == BatchOutcome.ERROR
    row = BatchRead.objects.get(registry=remote)
    assert row.error and row.subjects == 1
    assert not BatchReadSubject.objects.filter(registry=remote).exists()


def test_a_batch_read_inside_a_transaction_is_refused_before_reading(setting):
    _consumer, registry, purpose = setting
    with pytest.raises(ReadInTransactionError), transaction.atomic():
        registry_read_batch(purpose=purpose, registry=registry, subject_ids=[resident_id(0)])
    assert not BatchRead.objects.exists()


def test_a_purpose_needs_its_text(setting):
    consumer, _registry, _purpose = setting
    with pytest.raises(SharingError, match="用证事由"):
        sharing_purpose_get_or_create(key="x", purpose="  ", department=consumer)
    with pytest.raises(SharingError):
        sharing_purpose_get_or_create(key="y", purpose="长" * 201, department=consumer)


def test_a_person_finds_the_batch_reads_about_them(setting):
    _consumer, registry, purpose = setting
    registry_read_batch(
        purpose=purpose, registry=registry, subject_ids=[resident_id(0), resident_id(9)]
    )
    mine = list(batch_reads_about(subject_id=resident_id(9)))
    assert len(mine) == 1
    assert list(batch_reads_about(subject_id=resident_id(3))) == []


@pytest.mark.postgresql
def test_the_array_insert_and_the_orm_write_the_same_rows(setting):
    _consumer, registry, purpose = setting
    assert connection.vendor == "postgresql"
    reading = registry_read_batch(purpose=purpose, registry=registry, subject_ids=[resident_id(0)])
    rows = [(resident_id(n), n % 2 == 0) for n in range(20)]
    subject_rows_insert(read=reading.read, rows=rows[:12], using="default", method="array")
    subject_rows_insert(read=reading.read, rows=rows, using="default", method="orm")
    array_rows = set(BatchReadSubject.objects.values_list("subject_id", "found"))
    assert BatchReadSubject.objects.count() == 20  # the ORM's write skipped the array's rows
    assert array_rows == {(subject, found) for subject, found in rows} | {(resident_id(0), True)}


@pytest.mark.postgresql
def test_an_id_holding_a_comma_is_logged_as_itself(setting):
    """The array insert joins the ids with commas; an id holding one goes the other way."""
    _consumer, registry, purpose = setting
    reading = registry_read_batch(purpose=purpose, registry=registry, subject_ids=[resident_id(0)])
    subject_rows_insert(
        read=reading.read, rows=[("x,y", True), ("z", False)], using="default", method="array"
    )
    assert set(BatchReadSubject.objects.values_list("subject_id", "found")) == {
        (resident_id(0), True),
        ("x,y", True),
        ("z", False),
    }
