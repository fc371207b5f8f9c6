"""Alerts: approvals overdue or amber, late decisions by reviewer, irregular events.

Irregular events are flagged from the audit trail (``CaseEvent``):
- a decision recorded outside working hours (before 08:30, from 18:00, or on a
  day that is not a Chinese working day, ``cases/workdays.py``);
- a decision by a reviewer of another department than the approval's;
- a transition or decision forced by an administrator (a superuser passes every
  permission check, including the transitions only the system itself runs).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import ExtractHour, ExtractMinute, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import APPROVAL_OPEN_STATES, EventKind, SlaColour
from cases.models import Approval, CaseEvent
from cases.workdays import working_calendar
from centres.scope import subtree_filter
from departments.constants import Role
from departments.models import Department, StaffProfile

from .kpis import DECIDED_STATES

DEFAULT_WINDOW_DAYS = 30
LIST_LIMIT = 200
# Office hours of the service centre, minutes after midnight: [08:30, 18:00).
WORKING_HOURS = getattr(settings, "SUPERVISION_WORKING_HOURS", (8 * 60 + 30, 18 * 60))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def alert_window(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period the event alerts look at: the filter's, else the last 30 days."""
    end = date_to or timezone.localdate()
    start = date_from or end - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    return start, end


@dataclass
class LateApproval:
    approval_id: int
    tracking_no: str
    item: str
    department_code: str
    state_label: str
    due_date: dt.date | None
    is_overdue: bool
    working_days_late: int  # 0 when not yet overdue (amber)
    reviewers: list[str] = field(default_factory=list)


def _in_centre(centre_path: str | None) -> Q:
    """The approvals and events of one part of the network (None: all of it)."""
    return subtree_filter(centre_path, "case__centre")


def approvals_late_or_amber(
    *,
    department: Department | None = None,
    limit: int = LIST_LIMIT,
    centre_path: str | None = None,
) -> tuple[list[LateApproval], int]:
    """Open approvals past their due date or marked amber, most late first; and how many in all."""
    today = timezone.localdate()
    approvals = Approval.objects.filter(
        _in_centre(centre_path), state__in=APPROVAL_OPEN_STATES
    ).filter(Q(due_date__lt=today) | Q(sla_colour__in=[SlaColour.AMBER, SlaColour.RED]))
    if department is not None:
        approvals = approvals.filter(department=department)
    total = approvals.count()
    rows = list(
        approvals.select_related("case", "item", "department").order_by("due_date", "id")[:limit]
    )
    reviewers: dict[int, list[str]] = defaultdict(list)
    for department_id, username in (
        StaffProfile.objects.filter(
            role=Role.REVIEWER, department_id__in={row.department_id for row in rows}
        )
        .order_by("user__username")
        .values_list("department_id", "user__username")
    ):
        reviewers[department_id].append(username)
    late = []
    calendar = working_calendar()
    for approval in rows:
        overdue = approval.due_date is not None and approval.due_date < today
        late.append(
            LateApproval(
                approval_id=approval.pk,
                tracking_no=approval.case.tracking_no,
                item=f"{approval.item.code} {approval.item.name}",
                department_code=approval.department.code,
                state_label=approval.get_state_display(),
                due_date=approval.due_date,
                is_overdue=overdue,
                working_days_late=(
                    calendar.working_days_between(approval.due_date, today) if overdue else 0
                ),
                reviewers=reviewers[approval.department_id],
            )
        )
    return late, total


def late_or_amber_by_department(*, centre_path: str | None = None) -> list[dict[str, object]]:
    today = timezone.localdate()
    overdue = Q(due_date__lt=today) | Q(sla_colour=SlaColour.RED)
    return list(
        Approval.objects.filter(_in_centre(centre_path), state__in=APPROVAL_OPEN_STATES)
        .values("department__code", "department__name")
        .annotate(
            overdue=Count("pk", filter=overdue),
            amber=Count("pk", filter=Q(sla_colour=SlaColour.AMBER) & ~overdue),
        )
        .filter(Q(overdue__gt=0) | Q(amber__gt=0))
        .order_by("-overdue", "-amber", "department__code")
    )


def late_decisions_by_reviewer(
    *, date_from: dt.date, date_to: dt.date, centre_path: str | None = None
) -> list[dict[str, object]]:
    """Per reviewer who decided in the period: decisions, and those after the due date."""
    return list(
        Approval.objects.filter(
            _in_centre(centre_path),
            state__in=DECIDED_STATES,
            decided_by__isnull=False,
            decided_at__gte=_day_start(date_from),
            decided_at__lt=_day_start(date_to + dt.timedelta(days=1)),
        )
        .annotate(decided_date=TruncDate("decided_at"))
        .values("decided_by__username", "department__code")
        .annotate(
            decided=Count("pk"),
            late=Count("pk", filter=Q(due_date__isnull=False, decided_date__gt=F("due_date"))),
        )
        .order_by("-late", "decided_by__username")
    )


@dataclass
class IrregularEvent:
    event: CaseEvent
    reasons: list[str]


def irregular_events(
    *,
    date_from: dt.date,
    date_to: dt.date,
    limit: int = LIST_LIMIT,
    centre_path: str | None = None,
) -> list[IrregularEvent]:
    opening, closing = WORKING_HOURS
    days = [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    calendar = working_calendar()
    rest_days = [day for day in days if not calendar.is_working_day(day)]
    decision = Q(kind=EventKind.DECISION, actor__isnull=False)
    outside_hours = decision & (
        Q(minute_of_day__lt=opening) | Q(minute_of_day__gte=closing) | Q(day__in=rest_days)
    )
    other_department = (
        decision
        & Q(approval__isnull=False, actor_department__isnull=False)
        & ~Q(actor_department_id=F("approval__department_id"))
    )
    forced = Q(actor__is_superuser=True)
    events = (
        CaseEvent.objects.filter(
            _in_centre(centre_path),
            created_at__gte=_day_start(date_from),
            created_at__lt=_day_start(date_to + dt.timedelta(days=1)),
        )
        .annotate(
            minute_of_day=ExtractHour("created_at") * 60 + ExtractMinute("created_at"),
            day=TruncDate("created_at"),
        )
        .filter(outside_hours | other_department | forced)
        .select_related("case", "actor", "actor_department", "approval__department")
        .order_by("-created_at", "-id")[:limit]
    )
    flagged = []
    for event in events:
        reasons = []
        local = timezone.localtime(event.created_at)
        minute = local.hour * 60 + local.minute
        if event.kind == EventKind.DECISION and event.actor_id is not None:
            if not calendar.is_working_day(local.date()):
                reasons.append(_("非工作日作出决定"))
            elif minute < opening or minute >= closing:
                reasons.append(_("工作时间以外作出决定"))
            if (
                event.approval is not None
                and event.actor_department_id is not None
                and event.actor_department_id != event.approval.department_id
            ):
                reasons.append(_("其他部门人员作出决定"))
        if event.actor is not None and event.actor.is_superuser:
            reasons.append(_("管理员强制操作"))
        flagged.append(IrregularEvent(event=event, reasons=reasons))
    return flagged
