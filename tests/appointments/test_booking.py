"""Booking and cancelling: a place is taken and given back; every refusal says why and
writes nothing (no appointment, no slot counter moved)."""

from __future__ import annotations

import datetime as dt

import pytest

from appointments.constants import AppointmentChannel, AppointmentState
from appointments.exceptions import AlreadyBookedError, AppointmentError, SlotFullError
from appointments.models import Appointment, SlotCounter, SlotRule
from appointments.services.booking import appointment_book, appointment_book_for, appointment_cancel
from appointments.services.slots import slots_for
from cases.models import Applicant
from centres.models import Queue

from .conftest import MONDAY, NOW, TUESDAY, staff_at

pytestmark = pytest.mark.django_db

NINE = dt.time(9, 0)


def _book(person, county, queue, *, day=TUESDAY, start=NINE, now=NOW, **extra):  # type: ignore[no-untyped-def]
    return appointment_book(
        applicant=person, centre=county, queue=queue, day=day, start=start, now=now, **extra
    )


def _nothing_written() -> bool:
    return (
        not Appointment.objects.exists() and not SlotCounter.objects.filter(booked__gt=0).exists()
    )


def test_booking_gives_a_number_and_takes_a_place(person, county, queue_a):
    appointment = _book(person, county, queue_a)
    assert appointment.number.startswith("YY") and len(appointment.number) == 8
    assert (appointment.start, appointment.end) == (NINE, dt.time(9, 30))
    assert appointment.state == AppointmentState.BOOKED
    assert appointment.channel == AppointmentChannel.ONLINE and appointment.booked_by is None
    assert (appointment.id_number, appointment.phone) == (person.id_number, person.phone)
    assert appointment.masked_id_number == "1101**********1233"
    # Check-in closes 15 minutes after the start (a 30-minute slot ends later: its end).
    assert appointment.check_in_until.astimezone(NOW.tzinfo).time() == dt.time(9, 30)
    assert slots_for(centre=county, queue=queue_a, day=TUESDAY)[0].booked == 1


REFUSALS = [
    # (description, keyword arguments, the message's words)
    ("a past day", {"day": dt.date(2026, 9, 25)}, "不能预约已经过去的日期"),
    ("a slot already started", {"day": MONDAY, "start": NINE, "now": NOW.replace(hour=9, minute=5)}, "已经开始或已过去"),
    ("outside opening hours", {"start": dt.time(12, 30)}, "不在营业时间内（当天营业时间 09:00–12:00、13:30–17:30）"),
    ("off a slot boundary", {"start": dt.time(9, 10)}, "09:10 不是时段的开始"),
    ("a public holiday", {"day": dt.date(2026, 10, 1)}, "2026-10-01 是法定节假日，大厅不开放"),
    ("a closed weekend", {"day": dt.date(2026, 10, 11)}, "2026-10-11 不开放"),
    ("beyond the horizon", {"day": dt.date(2026, 10, 13)}, "最多可提前 14 天预约，最晚可约到 2026-10-12"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "words"), [(k, w) for _d, k, w in REFUSALS], ids=[d for d, _k, _w in REFUSALS]
)
def test_each_refusal_says_why_and_writes_nothing(person, county, queue_a, kwargs, words):
    with pytest.raises(AppointmentError) as refused:
        _book(person, county, queue_a, **kwargs)
    assert words in str(refused.value)
    assert _nothing_written()


def test_an_inactive_queue_is_refused(person, county, queue_a):
    Queue.objects.filter(pk=queue_a.pk).update(is_active=False)
    queue_a.refresh_from_db()
    with pytest.raises(AppointmentError, match="队列已停用，不能预约"):
        _book(person, county, queue_a)
    assert _nothing_written()


def test_a_queue_of_another_centre_is_refused(person, network, queue_a):
    with pytest.raises(AppointmentError, match="不是 涡阳县政务服务中心 的队列"):
        _book(person, network["GY"], queue_a)
    assert _nothing_written()


def test_a_full_slot_is_refused(person, other_person, county, queue_a):
    SlotRule.objects.create(queue=queue_a, capacity=1)
    first = _book(other_person, county, queue_a)
    with pytest.raises(SlotFullError, match="2026-09-29 09:00 的时段已约满，请选择其他时段"):
        _book(person, county, queue_a)
    assert list(Appointment.objects.all()) == [first]
    assert SlotCounter.objects.get().booked == 1


def test_a_second_booking_of_the_same_queue_and_day_is_refused(person, county, queue_a, network):
    first = _book(person, county, queue_a)
    with pytest.raises(AlreadyBookedError, match="2026-09-29 您在「综合受理」已有一个预约"):
        _book(person, county, queue_a, start=dt.time(14, 0))
    assert list(Appointment.objects.all()) == [first]
    assert not SlotCounter.objects.filter(start=dt.time(14, 0), booked__gt=0).exists()
    # Another queue, or another day, is a booking of its own.
    queue_b = Queue.objects.get(centre=county, code="B")
    _book(person, county, queue_b)
    _book(person, county, queue_a, day=dt.date(2026, 9, 30))
    assert Appointment.objects.count() == 3


def test_cancelling_frees_the_place(person, other_person, county, queue_a):
    SlotRule.objects.create(queue=queue_a, capacity=1)
    appointment = _book(person, county, queue_a)
    cancelled = appointment_cancel(appointment=appointment, applicant=person, now=NOW)
    assert cancelled.state == AppointmentState.CANCELLED and cancelled.cancelled_at == NOW
    assert slots_for(centre=county, queue=queue_a, day=TUESDAY)[0].free == 1
    _book(other_person, county, queue_a)
    # And the person may book that queue and day again.
    _book(person, county, queue_a, start=dt.time(9, 30))


def test_cancelling_is_refused_once_the_slot_started_or_twice_or_for_someone_else(
    person, other_person, county, queue_a
):
    appointment = _book(person, county, queue_a)
    with pytest.raises(AppointmentError, match="未找到该预约"):
        appointment_cancel(appointment=appointment, applicant=other_person, now=NOW)
    started = NOW.replace(day=29, hour=9, minute=1)
    with pytest.raises(AppointmentError, match="时段已经开始，不能再取消"):
        appointment_cancel(appointment=appointment, applicant=person, now=started)
    appointment_cancel(appointment=appointment, applicant=person, now=NOW)
    with pytest.raises(AppointmentError, match="状态是「已取消」，不能取消"):
        appointment_cancel(appointment=appointment, applicant=person, now=NOW)
    assert SlotCounter.objects.get().booked == 0


def test_a_clerk_books_for_a_new_person_registered_by_id_number(county, queue_a):
    clerk = staff_at(county)
    appointment = appointment_book_for(
        id_type="resident_id",
        id_number="110101199003071233",
        name="赵六",
        phone="13600001111",
        centre=county,
        queue=queue_a,
        day=TUESDAY,
        start=NINE,
        booked_by=clerk,
        channel=AppointmentChannel.WINDOW,
        now=NOW,
    )
    assert appointment.applicant.name == "赵六" and appointment.booked_by == clerk
    assert appointment.channel == AppointmentChannel.WINDOW


@pytest.mark.parametrize(
    ("id_number", "start", "words"),
    [
        ("110101199003070000", NINE, "校验"),
        ("110101199003071233", dt.time(12, 30), "不在营业时间内"),
    ],
)
def test_a_refused_window_booking_keeps_no_new_applicant(county, queue_a, id_number, start, words):
    with pytest.raises(AppointmentError, match=words):
        appointment_book_for(
            id_type="resident_id",
            id_number=id_number,
            name="赵六",
            phone="",
            centre=county,
            queue=queue_a,
            day=TUESDAY,
            start=start,
            booked_by=staff_at(county),
            channel=AppointmentChannel.WINDOW,
            now=NOW,
        )
    assert not Applicant.objects.exists() and _nothing_written()


def test_a_full_slot_refused_at_the_window_keeps_no_new_applicant(person, county, queue_a):
    SlotRule.objects.create(queue=queue_a, capacity=1)
    _book(person, county, queue_a)
    with pytest.raises(SlotFullError):
        appointment_book_for(
            id_type="resident_id",
            id_number="110101198501011239",
            name="李四",
            phone="",
            centre=county,
            queue=queue_a,
            day=TUESDAY,
            start=NINE,
            booked_by=staff_at(county),
            channel=AppointmentChannel.WINDOW,
            now=NOW,
        )
    assert list(Applicant.objects.values_list("name", flat=True)) == ["王小明"]
