"""Reads of the window pages, with their joins (a fixed number of queries per page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..constants import CaseState, MaterialStatus
from ..models import Case

OPEN_AT_THE_WINDOW = [CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS]


def window_queue(
    *, day: dt.date | None = None, query: str = "", submitted_by: Any = None
) -> QuerySet[Case]:
    """Today's cases and every case still waiting at the window, newest first; with
    ``submitted_by`` (a village agent), every case that user submitted, whatever its
    day or state, and no other."""
    if submitted_by is not None:
        cases = Case.objects.filter(created_by=submitted_by)
    else:
        day = day or timezone.localdate()
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        cases = Case.objects.filter(Q(created_at__gte=start) | Q(state__in=OPEN_AT_THE_WINDOW))
    cases = (
        cases.select_related("applicant", "bundle", "created_by")
        .prefetch_related("items")
        .annotate(
            missing_count=Count(
                "materials", filter=Q(materials__status=MaterialStatus.MISSING), distinct=True
            )
        )
        .order_by("-created_at")
    )
    query = query.strip()
    if query:
        cases = cases.filter(
            Q(tracking_no__icontains=query)
            | Q(applicant__name__icontains=query)
            | Q(applicant__id_number__endswith=query)
        )
    return cases
