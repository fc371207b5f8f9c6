"""The local-table connector's one-record read (plain SQL) gives what the queryset gives."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.connectors import LocalTableConnector
from departments.connectors.local import registry_record_data
from departments.models import RegistryRecord
from tests.factories import RegistryFactory, RegistryRecordFactory, resident_id

pytestmark = pytest.mark.django_db

RECORD = {"name": "𠮷野花子", "titles": [{"no": "川(2024)成都市不动产权第1号"}], "arrears": 0}


def orm_data(*, registry_id: int, subject_id: str):
    return (
        RegistryRecord.objects.filter(registry_id=registry_id, subject_id=subject_id)
        .values_list("data", flat=True)
        .first()
    )


def test_the_record_is_the_querysets():
    registry, other = RegistryFactory(), RegistryFactory()
    record = RegistryRecordFactory(registry=registry, data=RECORD)
    RegistryRecordFactory(registry=other, subject_id=record.subject_id, data={"name": "别人"})
    RegistryRecordFactory(registry=registry, data=[])  # JSON that is not an object
    for row in RegistryRecord.objects.all():
        found = registry_record_data(registry_id=row.registry_id, subject_id=row.subject_id)
        assert found == orm_data(registry_id=row.registry_id, subject_id=row.subject_id)
        assert type(found) is type(row.data)
    assert registry_record_data(registry_id=registry.pk, subject_id=record.subject_id) == RECORD


def test_no_record_is_none_as_from_the_queryset():
    registry = RegistryFactory()
    RegistryRecordFactory(registry=registry, subject_id=resident_id(1))
    for registry_id, subject_id in [(registry.pk, resident_id(2)), (987654321, resident_id(1))]:
        assert registry_record_data(registry_id=registry_id, subject_id=subject_id) is None
        assert orm_data(registry_id=registry_id, subject_id=subject_id) is None


def test_the_connector_reads_one_record_in_one_statement():
    registry = RegistryFactory()
    record = RegistryRecordFactory(registry=registry, data=RECORD)
    with CaptureQueriesContext(connection) as queries:
        result = LocalTableConnector().read(registry=registry, subject_id=record.subject_id)
        missing = LocalTableConnector().read(registry=registry, subject_id=resident_id(99))
    assert len(queries) == 2
    assert (result.data, result.source, result.content_type) == (
        RECORD,
        "local",
        "application/json",
    )
    assert result.raw_sha256 and missing.data is None and missing.raw_body == b""
