"""Reads of the sharing tables: who may read which registry, who read a person's data."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from departments.models import SharingAgreement

from .models import BatchReadSubject


def agreements_active(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of ``(department id, registry id)`` pairs, those an agreement covers today: one
    query. The periods are compared here, not in SQL: the statement stays one simple
    shape (a read run for every registry check) and an agreement has one or two rows."""
    if not pairs:
        return set()
    today = timezone.localdate()
    agreements = SharingAgreement.objects.filter(
        consumer_id__in=sorted({department for department, _registry in pairs}),
        registry_id__in=sorted({registry for _department, registry in pairs}),
        is_active=True,
    ).values_list("consumer_id", "registry_id", "valid_from", "valid_until")
    return {
        (department, registry)
        for department, registry, valid_from, valid_until in agreements
        if (department, registry) in pairs
        and valid_from <= today
        and (valid_until is None or today <= valid_until)
    }


def batch_reads_about(*, subject_id: str) -> QuerySet[BatchReadSubject]:
    """The batch reads of one person's or organisation's records, newest first, with the
    registry, the purpose and the reading department (the "who read my data" page)."""
    return (
        BatchReadSubject.objects.filter(subject_id=subject_id)
        .select_related("registry__department", "purpose__department")
        .order_by("-created_at", "-id")
    )
