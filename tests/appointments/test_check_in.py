"""Checking in at the kiosk turns the appointment into a priority ticket of its queue
(``hall.services.tickets.ticket_take``), from 30 minutes before the slot until 15 minutes
after its start; anything else is refused with a message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.constants import AppointmentChannel, AppointmentState
from appointments.exceptions import AppointmentError, AppointmentNotFoundError
from appointments.models import Appointment
from appointments.services.booking import appointment_book
from appointments.services.check_in import appointment_check_in
from hall.constants import TicketPriority
from hall.models import Ticket

from .conftest import ALL_DAY, NOW, TUESDAY

pytestmark = pytest.mark.django_db


def _appointment_now(person, county, queue, *, number="YY7KQ3MX"):  # type: ignore[no-untyped-def]
    """An appointment whose slot starts within the next ten minutes, at a hall open all
    day: the hall gives tickets by the real clock (it takes no ``now``)."""
    county.opening_hours = ALL_DAY
    county.save()
    now = timezone.localtime()
    start = (now + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    return Appointment.objects.create(
        number=number,
        centre=county,
        queue=queue,
        day=start.date(),
        start=start.time(),
        end=(start + dt.timedelta(minutes=30)).time(),
        check_in_until=start + dt.timedelta(minutes=30),
        applicant=person,
        id_number=person.id_number,
        phone=person.phone,
        channel=AppointmentChannel.ONLINE,
    )


def test_check_in_gives_a_priority_ticket_of_the_appointments_queue(person, county, queue_a):
    appointment = _appointment_now(person, county, queue_a)
    checked_in = appointment_check_in(number=" yy7kq3mx ", centre=county)
    ticket = Ticket.objects.get()
    assert ticket.priority == TicketPriority.APPOINTMENT
    assert ticket.appointment_number == appointment.number
    assert ticket.queue == queue_a and ticket.id_number == person.id_number
    assert checked_in.state == AppointmentState.CHECKED_IN
    assert checked_in.ticket_number == ticket.number and checked_in.checked_in_at is not None
    # A second check-in gives no second ticket: it repeats the number.
    with pytest.raises(AppointmentError, match=f"该预约已签到，取号号码为 {ticket.number}"):
        appointment_check_in(number=appointment.number, centre=county)
    assert Ticket.objects.count() == 1


def test_the_kiosk_page_shows_the_ticket_number(client, person, county, queue_a):
    appointment = _appointment_now(person, county, queue_a)
    response = client.post(
        reverse("appointments:check_in", args=[county.code]), {"number": appointment.number}
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.number in response.content.decode()
    assert 'id="ticket"' in response.content.decode()


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (NOW.replace(day=29, hour=8, minute=29), "请于 2026-09-29 08:30 之后再来签到"),
        (NOW.replace(day=29, hour=9, minute=16), "已超过签到时间"),
    ],
)
def test_check_in_too_early_or_too_late_is_refused(person, county, queue_a, moment, words):
    appointment = appointment_book(
        applicant=person, centre=county, queue=queue_a, day=TUESDAY, start=dt.time(9, 0), now=NOW
    )
    with pytest.raises(AppointmentError, match=words):
        appointment_check_in(number=appointment.number, centre=county, now=moment)
    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.BOOKED and not Ticket.objects.exists()


def test_a_number_of_another_centre_or_not_a_number_is_not_found(person, network, county, queue_a):
    appointment = _appointment_now(person, county, queue_a)
    with pytest.raises(AppointmentNotFoundError, match="本中心没有预约号为"):
        appointment_check_in(number=appointment.number, centre=network["GY"])
    with pytest.raises(AppointmentNotFoundError, match="预约号由 YY 和 6 位字母或数字组成"):
        appointment_check_in(number="A017", centre=county)
    assert not Ticket.objects.exists()


def test_a_cancelled_appointment_cannot_check_in(person, county, queue_a):
    appointment = _appointment_now(person, county, queue_a)
    Appointment.objects.filter(pk=appointment.pk).update(state=AppointmentState.CANCELLED)
    with pytest.raises(AppointmentError, match="状态是「已取消」，不能签到"):
        appointment_check_in(number=appointment.number, centre=county)
    assert not Ticket.objects.exists()


def test_the_kiosk_blocks_a_client_after_too_many_wrong_numbers(
    client, person, county, queue_a, settings
):
    settings.APPOINTMENT_CHECK_IN_FAILURE_LIMIT = 3
    appointment = _appointment_now(person, county, queue_a)
    url = reverse("appointments:check_in", args=[county.code])
    for _attempt in range(3):
        response = client.post(url, {"number": "YY2222222"[:8]})
        assert response.status_code == 400 and "本中心没有预约号为" in response.content.decode()
    blocked = client.post(url, {"number": appointment.number})
    assert blocked.status_code == 429 and "输错次数过多" in blocked.content.decode()
    assert not Ticket.objects.exists()
    # Another address is not affected.
    other = client.post(url, {"number": appointment.number}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200 and Ticket.objects.count() == 1


def test_an_unknown_centre_has_no_kiosk(client, db):
    assert client.get(reverse("appointments:check_in", args=["NOPE"])).status_code == 404
