"""Service-level colours: amber at two thirds of an approval's working days, red when overdue.

Only approvals whose clock runs are coloured (``PENDING`` and ``IN_REVIEW``): a
waiting approval has not started and a suspended one has stopped. Every change
of colour is recorded as an event, so the supervisor sees when it turned.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..constants import ApprovalState, EventKind, SlaColour
from ..models import Approval, CaseEvent
from ..workdays import WorkingCalendar, working_calendar

CLOCK_RUNNING_STATES = [ApprovalState.PENDING, ApprovalState.IN_REVIEW]


def approval_sla_colour(
    *, approval: Approval, today: dt.date, calendar: WorkingCalendar | None = None
) -> str:
    """The colour an approval should have today (``calendar``: the working days to count
    with, one snapshot for a whole sweep; the current one when not given)."""
    if approval.due_date is None:
        return SlaColour.GREEN
    if today > approval.due_date:
        return SlaColour.RED
    started = timezone.localtime(approval.started_at or approval.created_at).date()
    calendar = calendar or working_calendar()
    allowed = calendar.working_days_between(started, approval.due_date)
    used = calendar.working_days_between(started, today)
    if allowed == 0 or used * 3 >= allowed * 2:
        return SlaColour.AMBER
    return SlaColour.GREEN


def approvals_colour_sla(*, today: dt.date | None = None) -> dict[str, int]:
    """Re-colour every approval whose clock runs; returns how many turned each colour.

    Idempotent: an approval already of the right colour is left alone and no
    event is written twice.
    """
    today = today or timezone.localdate()
    changed = {SlaColour.AMBER: 0, SlaColour.RED: 0, SlaColour.GREEN: 0}
    candidates = Approval.objects.filter(
        state__in=CLOCK_RUNNING_STATES, due_date__isnull=False
    ).only("pk", "case_id", "state", "due_date", "sla_colour", "started_at", "created_at")
    calendar = working_calendar()
    for approval in candidates.iterator(chunk_size=2000):
        colour = approval_sla_colour(approval=approval, today=today, calendar=calendar)
        if colour == approval.sla_colour:
            continue
        with transaction.atomic():
            # Conditional update: a concurrent run or decision wins, this one writes nothing.
            updated = Approval.objects.filter(
                pk=approval.pk, sla_colour=approval.sla_colour, state__in=CLOCK_RUNNING_STATES
            ).update(sla_colour=colour, updated_at=timezone.now())
            if not updated:
                continue
            CaseEvent.objects.create(
                case_id=approval.case_id,
                approval_id=approval.pk,
                kind=EventKind.SLA,
                name=f"sla_{colour}",
                from_state=approval.sla_colour,
                to_state=colour,
                actor_label="system",
                note=_("承诺办结日期 %(due)s，已超期。") % {"due": approval.due_date.isoformat()}
                if colour == SlaColour.RED
                else _("已用去三分之二以上的办理时限，承诺办结日期 %(due)s。")
                % {"due": approval.due_date.isoformat()},
                is_public=False,
            )
        changed[colour] += 1
    return {str(colour): count for colour, count in changed.items()}
