"""Taking a ticket (issue 17.3): numbering per queue and day, the refusals, one open
ticket per person and queue, position and estimated wait."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from centres.models import Centre, ServiceWindow
from hall.constants import DEFAULT_SERVICE_MINUTES, TicketState
from hall.exceptions import TicketError
from hall.models import Ticket, TicketCounter
from hall.selectors import queue_service_minutes, ticket_wait
from hall.services.tickets import sequence_next, ticket_take

from .conftest import resident_id

pytestmark = pytest.mark.django_db


def test_numbers_run_per_queue_from_one(queue):
    a, b = queue("BZ", "A"), queue("BZ", "B")
    numbers = [ticket_take(queue=a).number for _ in range(3)] + [ticket_take(queue=b).number]
    assert numbers == ["A001", "A002", "A003", "B001"]
    # Another centre's queue A has its own numbers.
    assert ticket_take(queue=queue("QC", "A")).number == "A001"
    ticket = Ticket.objects.get(queue=a, sequence=2)
    assert ticket.day == timezone.localdate()
    assert ticket.state == TicketState.WAITING
    assert ticket.centre.code == "BZ"


def test_a_new_day_starts_again_at_one(queue):
    a = queue("BZ", "A")
    ticket_take(queue=a)
    ticket_take(queue=a)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with transaction.atomic():
        assert sequence_next(queue_id=a.pk, day=tomorrow) == 1
        assert sequence_next(queue_id=a.pk, day=tomorrow) == 2
    assert TicketCounter.objects.get(queue=a, day=timezone.localdate()).last_sequence == 2


def test_a_refused_take_gives_its_number_back(queue):
    a = queue("BZ", "A")
    person = resident_id(1)
    ticket_take(queue=a, id_number=person)
    with pytest.raises(TicketError):
        ticket_take(queue=a, id_number=person)
    assert ticket_take(queue=a).number == "A002"


def test_one_open_ticket_per_person_and_queue(queue):
    a, b = queue("BZ", "A"), queue("BZ", "B")
    person = resident_id(2)
    first = ticket_take(queue=a, id_number=person)
    with pytest.raises(TicketError, match=f"已有未办结的号码 {first.number}"):
        ticket_take(queue=a, id_number=person.lower())
    assert Ticket.objects.filter(queue=a).count() == 1
    # Another queue, another person, or nobody named: all fine.
    ticket_take(queue=b, id_number=person)
    ticket_take(queue=a, id_number=resident_id(3))
    ticket_take(queue=a)
    ticket_take(queue=a)
    # Once the first ticket is no longer open, the person may take another.
    Ticket.objects.filter(pk=first.pk).update(state=TicketState.DONE)
    assert ticket_take(queue=a, id_number=person).number == "A005"


def test_the_database_refuses_a_second_open_ticket_of_a_person(queue):
    """The partial unique constraint holds even when two takes race past the check."""
    a = queue("BZ", "A")
    person = resident_id(4)
    first = ticket_take(queue=a, id_number=person)
    duplicate = Ticket(
        centre=a.centre, queue=a, day=first.day, sequence=99, number="A099", id_number=person
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"priority": "vip"}, "优先类别“vip”无效"),
        ({"priority": "appointment"}, "预约优先号须填写预约号"),
        ({"id_number": "341602195001010015"}, "校验"),
        ({"id_number": "12345"}, "应为18位"),
        ({"phone": "12345"}, "手机号码应为"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(queue, kwargs, message):
    with pytest.raises(TicketError, match=message):
        ticket_take(queue=queue("BZ", "A"), **kwargs)
    assert not Ticket.objects.exists()
    assert not TicketCounter.objects.exists()


def test_an_inactive_queue_or_a_closed_centre_takes_no_ticket(queue, network):
    a = queue("BZ", "A")
    a.is_active = False
    a.save()
    with pytest.raises(TicketError, match="已停用"):
        ticket_take(queue=a)
    b = queue("QC", "A")
    Centre.objects.filter(code="QC").update(opening_hours={})
    with pytest.raises(TicketError, match="谯城区政务服务中心现在不在营业时间"):
        ticket_take(queue=b)
    assert not Ticket.objects.exists()


def test_an_appointment_ticket_keeps_its_number(queue):
    ticket = ticket_take(queue=queue("BZ", "A"), priority="appointment", appointment_number="YY1")
    assert (ticket.priority, ticket.appointment_number) == ("appointment", "YY1")


def test_position_follows_the_calling_order(queue):
    a = queue("BZ", "A")
    first, second = ticket_take(queue=a), ticket_take(queue=a)
    elderly = ticket_take(queue=a, priority="elderly")
    assert ticket_wait(ticket=elderly).position == 0
    assert ticket_wait(ticket=first).position == 1
    assert ticket_wait(ticket=second).position == 2
    # Another queue's tickets are not ahead.
    ticket_take(queue=queue("BZ", "B"), priority="disabled")
    assert ticket_wait(ticket=second).position == 2


def test_the_estimate_uses_the_median_service_time_and_the_windows(queue):
    a = queue("BZ", "A")  # windows 1, 2, 3 and 6 call queue A at the city centre
    assert ServiceWindow.objects.filter(queues=a, is_active=True).count() == 4
    waiting = [ticket_take(queue=a) for _ in range(9)]
    last = waiting[-1]
    # Before any ticket is done today: the default service time.
    assert queue_service_minutes(queue_id=a.pk, day=last.day) == DEFAULT_SERVICE_MINUTES
    assert ticket_wait(ticket=last).estimated_wait_minutes == 8 * 6 // 4  # 12
    # Three tickets done in 4, 10 and 100 minutes: the median is 10.
    now = timezone.now()
    for ticket, minutes in zip(waiting[:3], (4, 10, 100), strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(
            state=TicketState.DONE, served_at=now - dt.timedelta(minutes=minutes), done_at=now
        )
    assert queue_service_minutes(queue_id=a.pk, day=last.day) == pytest.approx(10)
    wait = ticket_wait(ticket=last)
    assert (wait.position, wait.estimated_wait_minutes) == (5, 13)  # ceil(5 × 10 / 4)
    # One window fewer: the same people wait longer.
    ServiceWindow.objects.filter(centre=a.centre, number=6).update(is_active=False)
    assert ticket_wait(ticket=last).estimated_wait_minutes == 17  # ceil(50 / 3)
