"""The one-statement "call next" of PostgreSQL (``hall.services.claim_sql``) against the
ORM's answer: the same tickets in the same calling order (the centre's rule or the
default one, then who came first, then the id), and the same rows written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from centres.models import Queue
from hall.constants import TicketState
from hall.models import Call, HallRule, Ticket
from hall.selectors import hall_priority_order, in_calling_order
from hall.services.claim_sql import ticket_claim_next
from hall.services.tickets import ticket_take

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

PRIORITIES = ("none", "elderly", "appointment", "none", "disabled", "elderly", "none")


def _fill(queue, window) -> None:  # type: ignore[no-untyped-def]
    """Tickets in the window's two queues (some taken at the same instant, one waiting
    yesterday, one already called), and one in a queue the window does not call."""
    same_instant = timezone.now() - dt.timedelta(minutes=30)
    for index, priority in enumerate(PRIORITIES):
        for code in ("A", "D"):
            ticket = ticket_take(
                queue=queue("BZ", code),
                priority=priority,
                appointment_number="Y1" if priority == "appointment" else "",
            )
            if index % 3 == 0:
                Ticket.objects.filter(pk=ticket.pk).update(taken_at=same_instant)
    yesterday = ticket_take(queue=queue("BZ", "A"))
    Ticket.objects.filter(pk=yesterday.pk).update(day=yesterday.day - dt.timedelta(days=1))
    called = ticket_take(queue=queue("BZ", "D"))
    Ticket.objects.filter(pk=called.pk).update(state=TicketState.CALLED)
    ticket_take(queue=queue("BZ", "B"))  # window 6 calls A and D, not B


def _orm_order(window) -> list[int]:  # type: ignore[no-untyped-def]
    waiting = Ticket.objects.filter(
        queue__in=window.queues.filter(is_active=True),
        day=timezone.localdate(),
        state=TicketState.WAITING,
    )
    order = hall_priority_order(centre=window.centre_id)
    return list(in_calling_order(waiting, order=order).values_list("pk", flat=True))


def _claim_all(window, clerk) -> list[Ticket]:  # type: ignore[no-untyped-def]
    claimed = []
    while (
        ticket := ticket_claim_next(
            window=window, called_by=clerk, day=timezone.localdate(), now=timezone.now()
        )
    ) is not None:
        claimed.append(ticket)
    return claimed


@pytest.mark.parametrize("rule", [None, ["elderly", "disabled", "appointment", "none"]])
def test_the_statement_calls_in_the_orm_order_and_writes_what_it_returns(
    queue, window, hall_clerk, network, rule
):
    if rule is not None:
        HallRule.objects.create(centre=network["BZ"], priority_order=rule)
    counter, clerk = window("BZ", 6), hall_clerk("BZ")
    _fill(queue, window)
    expected = _orm_order(counter)
    assert len(expected) == 2 * len(PRIORITIES)
    claimed = _claim_all(counter, clerk)
    assert [ticket.pk for ticket in claimed] == expected
    fields = [field.attname for field in Ticket._meta.concrete_fields]
    for ticket in claimed:
        stored = Ticket.objects.get(pk=ticket.pk)
        assert {name: getattr(ticket, name) for name in fields} == {
            name: getattr(stored, name) for name in fields
        }
        assert (stored.state, stored.window_id, stored.called_by_id, stored.call_count) == (
            TicketState.CALLED,
            counter.pk,
            clerk.pk,
            1,
        )
        assert stored.first_called_at == stored.last_called_at
        assert stored.wait_seconds == max(
            0, int((stored.first_called_at - stored.taken_at).total_seconds())
        )
        assert ticket.queue == stored.queue  # joined in the same statement
    calls = Call.objects.filter(window=counter).order_by("pk")
    assert [(c.ticket_id, c.centre_id, c.at) for c in calls] == [
        (t.pk, t.centre_id, t.last_called_at) for t in claimed
    ]
    # The other queue's ticket and yesterday's are still waiting.
    assert Ticket.objects.filter(state=TicketState.WAITING).count() == 2


def test_an_inactive_queue_is_not_called(queue, window, hall_clerk):
    counter, clerk = window("BZ", 6), hall_clerk("BZ")
    ticket_take(queue=queue("BZ", "D"))
    Queue.objects.filter(pk=queue("BZ", "D").pk).update(is_active=False)
    assert _claim_all(counter, clerk) == []
    assert not Call.objects.exists()
