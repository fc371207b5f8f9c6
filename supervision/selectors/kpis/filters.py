"""Which cases the supervisor's figures are over: dates, department, item, channel, centre."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cases.models import Case
from centres.models import Centre
from centres.scope import subtree_filter
from departments.models import Department, ServiceItem


@dataclass(frozen=True)
class CaseFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department: Department | None = None
    item: ServiceItem | None = None
    channel: str = ""
    # The part of the network: this centre and every centre below it. None, or the city
    # centre, is the whole network.
    centre: Centre | None = None

    @property
    def centre_path(self) -> str | None:
        if self.centre is None or self.centre.parent_id is None:
            return None
        return self.centre.path


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered_cases(filters: CaseFilters) -> QuerySet[Case]:
    cases = Case.objects.order_by()
    if filters.centre_path is not None:
        cases = cases.filter(subtree_filter(filters.centre_path))
    if filters.date_from:
        cases = cases.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        cases = cases.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    through = Case.items.through
    if filters.item is not None:
        # An item and a department: the item must be one of the department's.
        if filters.department is not None and filters.item.department_id != filters.department.pk:
            return cases.none()
        return cases.filter(
            Exists(through.objects.filter(case_id=OuterRef("pk"), serviceitem_id=filters.item.pk))
        )
    if filters.department is not None:
        cases = cases.filter(
            Exists(
                through.objects.filter(
                    case_id=OuterRef("pk"), serviceitem__department_id=filters.department.pk
                )
            )
        )
    return cases
