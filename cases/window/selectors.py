"""Reads of the window pages, with their joins (a fixed number of queries per page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from departments.roles import is_village_agent

from ..constants import CaseState, MaterialStatus
from ..models import Case
from ..selectors.window import window_cases

OPEN_AT_THE_WINDOW = [CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS]


def window_queue(*, user: Any, day: dt.date | None = None, query: str = "") -> QuerySet[Case]:
    """The window's list, newest first: for a clerk, today's cases and every case still
    waiting at the window; for a village agent, every case it submitted, whatever its
    day or state (``window_cases``: the only ones it may open)."""
    if is_village_agent(user):
        cases = window_cases(user=user)
    else:
        day = day or timezone.localdate()
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        cases = window_cases(user=user).filter(
            Q(created_at__gte=start) | Q(state__in=OPEN_AT_THE_WINDOW)
        )
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
