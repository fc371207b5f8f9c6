"""The local-table connector: ``RegistryRecord`` rows in our own database (the
default, and the demo)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from ..models import Registry, RegistryRecord
from ..selectors import registry_records_data
from .base import BaseConnector, RegistryResult, chunks, unique_ids


def registry_record_data(
    *, registry_id: int, subject_id: str, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any] | None:
    """The subject's record in the local registry, or ``None``: as
    ``RegistryRecord.objects.filter(registry_id=…, subject_id=…).values_list("data",
    flat=True).first()``, without the ordering (the pair is unique)."""
    # Plain SQL: every registry check of every approval reads one record, and compiling
    # the queryset again on each read cost more Python than the read itself
    # (bench/lifecycle.py). tests/departments/test_local_record_read.py compares it
    # with the queryset.
    connection = connections[using]
    field = RegistryRecord._meta.get_field("data")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM departments_registryrecord "
            "WHERE registry_id = %s AND subject_id = %s LIMIT 1",
            [registry_id, subject_id],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    value = found[0]
    column = field.get_col(RegistryRecord._meta.db_table)
    # Converted as the ORM converts the column (the backend's, then the field's own).
    for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


class LocalTableConnector(BaseConnector):
    # Reads the database on the caller's connection (and transaction): never in a thread.
    remote = False

    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        found = registry_record_data(registry_id=registry.pk, subject_id=subject_id)
        if found is None:
            return RegistryResult(data=None, source="local")
        data = dict(found)
        body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
        return RegistryResult(
            data=data, raw_body=body, content_type="application/json", source="local"
        )

    def read_many(
        self, *, registry: Registry, subject_ids: Sequence[str], purpose: str
    ) -> dict[str, dict[str, Any] | None]:
        """One query per ``REGISTRY_BATCH_SIZE`` subjects (default 5000), whatever their number."""
        unique = unique_ids(subject_ids)
        answer: dict[str, dict[str, Any] | None] = dict.fromkeys(unique)
        size = max(1, int(getattr(settings, "REGISTRY_BATCH_SIZE", 5000)))
        for chunk in chunks(unique, size):
            answer.update(registry_records_data(registry_id=registry.pk, subject_ids=chunk))
        return answer
