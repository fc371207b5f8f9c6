"""SLA colours: amber at two thirds of the working days, red when overdue, one event per change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import ApprovalState, EventKind, SlaColour
from cases.models import CaseEvent
from cases.services.sla import approval_sla_colour, approvals_colour_sla
from tests.factories import ApprovalFactory

# Monday 2 November 2026 to Friday 13 November 2026: ten working days, no holiday.
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DUE = dt.date(2026, 11, 13)


def _approval(**kwargs):
    return ApprovalFactory(started_at=START, due_date=DUE, state=ApprovalState.IN_REVIEW, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "colour"),
    [
        (dt.date(2026, 11, 2), SlaColour.GREEN),
        (dt.date(2026, 11, 9), SlaColour.GREEN),  # 5 of 9 working days used
        (dt.date(2026, 11, 10), SlaColour.AMBER),  # 6 of 9: two thirds
        (dt.date(2026, 11, 13), SlaColour.AMBER),  # the due date itself is still on time
        (dt.date(2026, 11, 14), SlaColour.RED),
    ],
)
def test_colour_by_working_days(today, colour):
    assert approval_sla_colour(approval=_approval(), today=today) == colour


@pytest.mark.django_db
def test_colouring_records_one_event_per_change_and_is_idempotent():
    approval = _approval()
    assert approvals_colour_sla(today=dt.date(2026, 11, 10))["amber"] == 1
    assert approvals_colour_sla(today=dt.date(2026, 11, 10))["amber"] == 0
    assert approvals_colour_sla(today=dt.date(2026, 11, 16))["red"] == 1
    approval.refresh_from_db()
    assert approval.sla_colour == SlaColour.RED
    events = CaseEvent.objects.filter(approval=approval, kind=EventKind.SLA).order_by("id")
    assert [(event.from_state, event.to_state) for event in events] == [
        ("green", "amber"),
        ("amber", "red"),
    ]
    assert all(not event.is_public for event in events)


@pytest.mark.django_db
def test_stopped_clocks_are_not_coloured():
    suspended = ApprovalFactory(
        started_at=START, due_date=DUE, state=ApprovalState.SUPPLEMENT_REQUESTED
    )
    waiting = ApprovalFactory(state=ApprovalState.WAITING, due_date=None)
    decided = ApprovalFactory(state=ApprovalState.APPROVED, due_date=DUE, started_at=START)
    approvals_colour_sla(today=dt.date(2026, 12, 31))
    for approval in (suspended, waiting, decided):
        approval.refresh_from_db()
        assert approval.sla_colour == SlaColour.GREEN
    assert not CaseEvent.objects.filter(kind=EventKind.SLA).exists()


@pytest.mark.django_db
def test_a_supplement_that_moves_the_due_date_takes_the_red_away():
    approval = _approval()
    approvals_colour_sla(today=dt.date(2026, 11, 16))
    approval.refresh_from_db()
    assert approval.sla_colour == SlaColour.RED
    type(approval).objects.filter(pk=approval.pk).update(due_date=dt.date(2026, 11, 30))
    approvals_colour_sla(today=dt.date(2026, 11, 16))
    approval.refresh_from_db()
    assert approval.sla_colour == SlaColour.GREEN
    assert timezone.localdate()  # the colouring never reads the wall clock when given today
