"""Search the audit trail: case events and the data-access log, by case, person, department, time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import CaseEvent, Verification
from centres.scope import centre_filter


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _time_filter(
    queryset: QuerySet, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet:
    if date_from:
        queryset = queryset.filter(created_at__gte=_day_start(date_from))
    if date_to:
        queryset = queryset.filter(created_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return queryset


def audit_event_search(
    *,
    tracking_no: str = "",
    person: str = "",
    department: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    user: Any = None,
) -> QuerySet[CaseEvent]:
    """Case events, newest first. ``person`` is an actor's user name or the
    applicant's full ID number."""
    events = CaseEvent.objects.select_related(
        "case", "actor", "actor_department", "case__applicant"
    ).order_by("-created_at", "-id")
    events = events.filter(centre_filter(user, "case__centre"))
    if tracking_no:
        events = events.filter(case__tracking_no=tracking_no)
    if person:
        events = events.filter(Q(actor__username=person) | Q(case__applicant__id_number=person))
    if department is not None:
        events = events.filter(actor_department=department)
    return _time_filter(events, date_from, date_to)


def audit_access_search(
    *,
    tracking_no: str = "",
    person: str = "",
    department: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    user: Any = None,
) -> QuerySet[Verification]:
    """Reads of shared data, newest first. ``person`` is the reading user's name
    or the full ID number of the subject read."""
    reads = Verification.objects.select_related(
        "registry", "case", "requesting_department", "requested_by"
    ).order_by("-created_at", "-id")
    reads = reads.filter(centre_filter(user, "case__centre"))
    if tracking_no:
        reads = reads.filter(case__tracking_no=tracking_no)
    if person:
        reads = reads.filter(Q(requested_by__username=person) | Q(subject_id=person))
    if department is not None:
        reads = reads.filter(requesting_department=department)
    return _time_filter(reads, date_from, date_to)
