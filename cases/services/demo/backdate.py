"""Demo only: age a case by working days, so the stories that need approvals whose time
has run (amber, overdue) have them. Only business dates move — acceptance, the
approvals' start and due dates — while the audit trail keeps the times its rows were
written and a private note says that the dates were moved."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ...constants import APPROVAL_OPEN_STATES, EventKind
from ...models import Approval, Case, CaseEvent, Visit
from ...workdays import WorkingCalendar, working_calendar


def backdated_start(*, today: dt.date, working_days: int, calendar: WorkingCalendar) -> dt.date:
    """The latest working day with ``working_days`` working days after it up to and
    including ``today``, as the clocks count them (``working_days_between``): a case
    moved there has had that many days whether today is a weekday, a weekend or a
    holiday."""
    day, counted = today, 0
    while counted < working_days:
        counted += calendar.is_working_day(day)
        day -= dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def case_backdate(*, case: Case, working_days: int) -> Case:
    """Demo only: the case was accepted ``working_days`` working days ago. Its creation,
    submission and acceptance, its approvals' creation and start (and suspension,
    decision) move back by the same span, and the due dates are counted again from the
    moved start, so their clocks have run that long. The audit trail is not rewritten:
    a private note records the move."""
    calendar = working_calendar()
    today = timezone.localdate()
    shift = today - backdated_start(today=today, working_days=working_days, calendar=calendar)

    def earlier(value: dt.datetime | None) -> dt.datetime | None:
        return value - shift if value is not None else None

    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        slowest = 0
        for approval in Approval.objects.select_related("item").filter(case=locked):
            started = earlier(approval.started_at)
            slowest = max(slowest, approval.item.promised_working_days)
            Approval.objects.filter(pk=approval.pk).update(
                created_at=earlier(approval.created_at),
                started_at=started,
                suspended_at=earlier(approval.suspended_at),
                decided_at=earlier(approval.decided_at),
                due_date=calendar.add_working_days(
                    timezone.localtime(started).date(), approval.item.promised_working_days
                )
                if started is not None and approval.state in APPROVAL_OPEN_STATES
                else approval.due_date,
            )
        accepted = earlier(locked.accepted_at)
        Case.objects.filter(pk=locked.pk).update(
            created_at=earlier(locked.created_at),
            submitted_at=earlier(locked.submitted_at),
            accepted_at=accepted,
            due_date=calendar.add_working_days(timezone.localtime(accepted).date(), slowest)
            if accepted is not None
            else locked.due_date,
        )
        for visit in Visit.objects.filter(case=locked):
            Visit.objects.filter(pk=visit.pk).update(created_at=visit.created_at - shift)
        CaseEvent.objects.create(
            case=locked,
            kind=EventKind.NOTE,
            name="demo_backdated",
            actor_label="system",
            note=_("演示数据：受理日期前移 %(days)s 个工作日，以展示审批时限预警。")
            % {"days": working_days},
            data={"working_days": working_days, "calendar_days": shift.days},
            is_public=False,
        )
    locked.refresh_from_db()
    return locked
