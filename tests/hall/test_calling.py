"""Calling (issue 17.4): call next in the centre's priority order, recall, no-show after
three calls, start and done linking the served cases, transfer, refusals from the wrong
state, and a clerk's own centre only."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.constants import CaseState
from hall.constants import TicketState
from hall.exceptions import OutOfScopeError, TicketError
from hall.models import Call, HallRule, Ticket
from hall.services.calling import (
    ticket_call_next,
    ticket_claim,
    ticket_done,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)
from hall.services.tickets import ticket_take
from tests.factories import CaseFactory

from .conftest import resident_id

pytestmark = pytest.mark.django_db


def _call_all(window, user) -> list[str]:  # type: ignore[no-untyped-def]
    numbers = []
    while (ticket := ticket_call_next(window=window, user=user)) is not None:
        numbers.append(ticket.number)
    return numbers


def test_priority_tickets_go_first_in_the_default_order(queue, window, hall_clerk):
    a = queue("BZ", "A")
    for priority in ("none", "elderly", "none", "disabled", "appointment", "elderly"):
        ticket_take(
            queue=a, priority=priority, appointment_number="Y1" if priority == "appointment" else ""
        )
    # appointment > disabled > elderly > none, and first come first within each.
    assert _call_all(window("BZ", 1), hall_clerk("BZ")) == [
        "A005",
        "A004",
        "A002",
        "A006",
        "A001",
        "A003",
    ]


def test_the_centre_rule_orders_the_priorities(queue, window, hall_clerk, network):
    HallRule.objects.create(
        centre=network["BZ"], priority_order=["elderly", "disabled", "appointment", "none"]
    )
    a = queue("BZ", "A")
    for priority in ("none", "appointment", "disabled", "elderly"):
        ticket_take(
            queue=a, priority=priority, appointment_number="Y1" if priority == "appointment" else ""
        )
    assert _call_all(window("BZ", 2), hall_clerk("BZ")) == ["A004", "A003", "A002", "A001"]


def test_a_window_calls_only_its_own_queues(queue, window, hall_clerk):
    ticket_take(queue=queue("BZ", "B"))
    ticket_take(queue=queue("BZ", "D"))
    ticket_take(queue=queue("BZ", "A"))
    clerk = hall_clerk("BZ")
    assert _call_all(window("BZ", 1), clerk) == ["A001"]  # window 1: queue A
    assert _call_all(window("BZ", 6), clerk) == ["D001"]  # window 6: A and D
    assert _call_all(window("BZ", 4), clerk) == ["B001"]


def test_call_next_records_the_call_for_the_display(queue, window, hall_clerk):
    ticket_take(queue=queue("BZ", "A"))
    clerk, counter = hall_clerk("BZ"), window("BZ", 3)
    ticket = ticket_call_next(window=counter, user=clerk)
    assert (ticket.state, ticket.window, ticket.called_by, ticket.call_count) == (
        TicketState.CALLED,
        counter,
        clerk,
        1,
    )
    assert ticket.first_called_at == ticket.last_called_at is not None
    assert list(Call.objects.values_list("ticket__number", "window__number")) == [("A001", 3)]
    assert ticket_call_next(window=counter, user=clerk) is None


def test_the_called_ticket_is_what_the_database_holds(queue, window, hall_clerk):
    """On PostgreSQL the locked row is not read again after the claim: the ticket returned
    must still be exactly the stored one, every field the claim wrote included."""
    taken = ticket_take(queue=queue("BZ", "A"))
    Ticket.objects.filter(pk=taken.pk).update(taken_at=taken.taken_at - dt.timedelta(minutes=7))
    called = ticket_call_next(window=window("BZ", 3), user=hall_clerk("BZ"))
    stored = Ticket.objects.get(pk=taken.pk)
    fields = [field.attname for field in Ticket._meta.concrete_fields]
    assert {name: getattr(called, name) for name in fields} == {
        name: getattr(stored, name) for name in fields
    }
    assert 7 * 60 <= stored.wait_seconds < 8 * 60
    assert called.queue == stored.queue


def test_call_next_takes_a_fixed_handful_of_statements(
    queue, window, hall_clerk, django_assert_num_queries, django_assert_max_num_queries
):
    """On PostgreSQL one statement (the rule, the candidate locked, the claim, the display's
    Call row); on SQLite the rule, the candidate, the claim, its re-read and the Call row
    in a transaction.
    (The clerk's profile and centre are read once per request, before: not counted.)"""
    from django.db import connection

    from centres.scope import user_centre

    for _ in range(5):
        ticket_take(queue=queue("BZ", "A"))
    counter, clerk = window("BZ", 3), hall_clerk("BZ")
    user_centre(clerk)
    if connection.vendor == "postgresql":
        with django_assert_num_queries(1):
            assert ticket_call_next(window=counter, user=clerk) is not None
    else:
        with django_assert_max_num_queries(7):  # and the transaction's own statements
            assert ticket_call_next(window=counter, user=clerk) is not None


def test_the_claim_changes_a_ticket_only_while_it_waits(queue, window, hall_clerk):
    """The SQLite path: the conditional UPDATE wins once; a second claim changes nothing."""
    ticket = ticket_take(queue=queue("BZ", "A"))
    clerk = hall_clerk("BZ")
    assert ticket_claim(ticket_id=ticket.pk, window=window("BZ", 1), user=clerk) is True
    assert ticket_claim(ticket_id=ticket.pk, window=window("BZ", 2), user=clerk) is False
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.window.number, ticket.call_count) == (1, 1)


def test_recall_then_no_show_after_three_calls(queue, window, hall_clerk):
    ticket_take(queue=queue("BZ", "A"))
    clerk = hall_clerk("BZ")
    ticket = ticket_call_next(window=window("BZ", 1), user=clerk)
    with pytest.raises(TicketError, match="已叫 1 次，叫满 3 次"):
        ticket_no_show(ticket=ticket, user=clerk)
    ticket = ticket_recall(ticket=ticket, user=clerk)
    with pytest.raises(TicketError, match="已叫 2 次"):
        ticket_no_show(ticket=ticket, user=clerk)
    ticket = ticket_recall(ticket=ticket, user=clerk)
    assert ticket.call_count == 3
    assert Call.objects.filter(ticket=ticket).count() == 3
    ticket = ticket_no_show(ticket=ticket, user=clerk)
    assert ticket.state == TicketState.NO_SHOW
    with pytest.raises(TicketError, match="当前为“过号”，不能重呼"):
        ticket_recall(ticket=ticket, user=clerk)


def test_start_and_done_link_the_cases_served(queue, window, hall_clerk, network):
    ticket_take(queue=queue("BZ", "A"))
    clerk = hall_clerk("BZ")
    ticket = ticket_call_next(window=window("BZ", 1), user=clerk)
    with pytest.raises(TicketError, match="当前为“已叫号”，不能办结"):
        ticket_done(ticket=ticket, user=clerk)
    ticket = ticket_start(ticket=ticket, user=clerk)
    assert ticket.state == TicketState.SERVING and ticket.served_at is not None
    ours = [CaseFactory(centre=network["BZ"], state=CaseState.SUBMITTED) for _ in range(2)]
    elsewhere = CaseFactory(centre=network["GY"])
    with pytest.raises(TicketError, match=f"办件 {elsewhere.tracking_no} 不是本中心受理的"):
        ticket_done(ticket=ticket, user=clerk, cases=[ours[0], elsewhere])
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.SERVING
    assert not Ticket.objects.get(pk=ticket.pk).cases.exists()
    ticket = ticket_done(ticket=ticket, user=clerk, cases=ours)
    assert ticket.state == TicketState.DONE and ticket.done_at >= ticket.served_at
    assert set(ticket.cases.all()) == set(ours)
    with pytest.raises(TicketError, match="不能开始办理"):
        ticket_start(ticket=ticket, user=clerk)


def test_transfer_gives_a_waiting_ticket_in_the_other_queue(queue, window, hall_clerk):
    a, b = queue("BZ", "A"), queue("BZ", "B")
    person = resident_id(5)
    ticket_take(queue=b)  # B001: came before
    old = ticket_take(queue=a, id_number=person, priority="elderly")
    ticket_take(queue=b)  # B002: came after
    clerk = hall_clerk("BZ")
    called = ticket_call_next(window=window("BZ", 1), user=clerk)
    assert called.pk == old.pk
    with pytest.raises(TicketError, match="已在该队列"):
        ticket_transfer(ticket=called, queue=a, user=clerk)
    with pytest.raises(TicketError, match="只能转到本中心的队列"):
        ticket_transfer(ticket=called, queue=queue("QC", "B"), user=clerk)
    new = ticket_transfer(ticket=called, queue=b, user=clerk)
    assert Ticket.objects.get(pk=old.pk).state == TicketState.TRANSFERRED
    assert (new.number, new.state, new.priority, new.id_number) == (
        "B003",
        TicketState.WAITING,
        "elderly",
        person,
    )
    assert new.transferred_from_id == old.pk and new.taken_at == old.taken_at
    # The elderly person goes before the ordinary B tickets at window 4.
    assert _call_all(window("BZ", 4), clerk) == ["B003", "B001", "B002"]


def test_a_clerk_of_another_centre_may_not_call_or_act(queue, window, hall_clerk):
    ticket_take(queue=queue("BZ", "A"))
    with pytest.raises(OutOfScopeError):
        ticket_call_next(window=window("BZ", 1), user=hall_clerk("QC"))
    assert Ticket.objects.get().state == TicketState.WAITING
    ticket = ticket_call_next(window=window("BZ", 1), user=hall_clerk("BZ"))
    with pytest.raises(OutOfScopeError):
        ticket_recall(ticket=ticket, user=hall_clerk("QC"))
    assert Ticket.objects.get().call_count == 1


def test_a_window_without_queues_says_so(window, hall_clerk):
    counter = window("BZ", 5)
    counter.queues.clear()
    with pytest.raises(TicketError, match="没有设置服务队列"):
        ticket_call_next(window=counter, user=hall_clerk("BZ"))
