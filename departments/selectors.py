"""Catalogue reads with their joins, so list pages run a fixed number of queries, and the
batch read of a local registry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from .models import Bundle, BundleItem, MaterialRequirement, RegistryRecord, ServiceItem


def items_search(*, query: str = "") -> QuerySet[ServiceItem]:
    """Active items, with everything the list shows in a fixed number of queries."""
    items = (
        ServiceItem.objects.filter(is_active=True)
        .select_related("department", "produces")
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=MaterialRequirement.objects.select_related(
                    "material_type__satisfied_by", "material_type__verifiable_by"
                ),
            )
        )
        .order_by("code")
    )
    query = query.strip()
    if query:
        items = items.filter(
            Q(code__icontains=query)
            | Q(name__icontains=query)
            | Q(department__name__icontains=query)
        )
    return items


def bundles_search(*, query: str = "") -> QuerySet[Bundle]:
    bundles = Bundle.objects.prefetch_related(
        Prefetch("bundle_items", queryset=BundleItem.objects.select_related("item"))
    ).order_by("code")
    query = query.strip()
    if query:
        bundles = bundles.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return bundles


def registry_records_data(*, registry_id: int, subject_ids: Sequence[str]) -> dict[str, Any]:
    """The data of those of ``subject_ids`` the local registry holds, in one query."""
    if not subject_ids:
        return {}
    if connection.vendor == "postgresql":
        return _registry_records_data_postgresql(registry_id=registry_id, subject_ids=subject_ids)
    return registry_records_data_orm(registry_id=registry_id, subject_ids=subject_ids)


def registry_records_data_orm(*, registry_id: int, subject_ids: Sequence[str]) -> dict[str, Any]:
    return dict(
        RegistryRecord.objects.filter(
            registry_id=registry_id, subject_id__in=subject_ids
        ).values_list("subject_id", "data")
    )


def _registry_records_data_postgresql(
    *, registry_id: int, subject_ids: Sequence[str]
) -> dict[str, Any]:
    # Plain SQL because the ORM's ``subject_id__in`` sends one placeholder per id (5000
    # of them, compiled by Django and parsed by PostgreSQL on every chunk), where
    # ``= ANY(%s)`` sends one array. Measured on PostgreSQL 2 cores, 200,000 records
    # per registry (two registries), 5000-id chunks, 80 % found, 30 chunks, json
    # decoding included: ORM 101 / 103 ms a chunk, this 42 / 53 ms (two alternated
    # runs); on a busier machine 199 ms against 138 ms. tests/departments/
    # test_read_many.py compares its answer with the ORM's.
    # The ids travel as one comma-joined string split by PostgreSQL: psycopg quotes an
    # array parameter element by element in Python (a regular expression each). Identity
    # numbers and credit codes never hold a comma; a list that does is sent as an array.
    table = connection.ops.quote_name(RegistryRecord._meta.db_table)
    if any("," in subject_id for subject_id in subject_ids):
        wanted, given = "%s::varchar[]", list(subject_ids)
    else:
        wanted, given = "string_to_array(%s, ',')", ",".join(subject_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT subject_id, data::text FROM {table} "
            f"WHERE registry_id = %s AND subject_id = ANY({wanted})",
            [registry_id, given],
        )
        return {subject_id: json.loads(data) for subject_id, data in cursor.fetchall()}
