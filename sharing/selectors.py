"""Reads of the sharing tables: who may read which registry, who read a person's data."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from departments.models import SharingAgreement

from .models import BatchReadSubject


def agreements_active(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of ``(department id, registry id)`` pairs, those an agreement covers today: one
    statement, ``SharingAgreement.objects.filter(consumer_id__in=…, registry_id__in=…,
    is_active=True, valid_from__lte=today).exclude(valid_until__lt=today)`` as plain SQL.

    Plain SQL because every registry check of every approval asks it, and compiling that
    queryset cost more than PostgreSQL took to answer (``bench/lifecycle_profile.py``).
    ``tests/sharing/test_agreements.py`` checks it against the queryset."""
    if not pairs:
        return set()
    departments = sorted({department for department, _registry in pairs})
    registries = sorted({registry for _department, registry in pairs})
    today = timezone.localdate()
    meta = SharingAgreement._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    sql = (
        f"SELECT {column('consumer')}, {column('registry')} FROM {quote(meta.db_table)} "
        f"WHERE {column('consumer')} IN ({', '.join(['%s'] * len(departments))}) "
        f"AND {column('registry')} IN ({', '.join(['%s'] * len(registries))}) "
        f"AND {column('is_active')} = %s AND {column('valid_from')} <= %s "
        f"AND ({column('valid_until')} IS NULL OR {column('valid_until')} >= %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*departments, *registries, True, today, today])
        found = cursor.fetchall()
    return {(department, registry) for department, registry in found} & pairs


def batch_reads_about(*, subject_id: str) -> QuerySet[BatchReadSubject]:
    """The batch reads of one person's or organisation's records, newest first, with the
    registry, the purpose and the reading department (the "who read my data" page)."""
    return (
        BatchReadSubject.objects.filter(subject_id=subject_id)
        .select_related("registry__department", "purpose__department")
        .order_by("-created_at", "-id")
    )
