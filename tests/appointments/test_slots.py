"""Slots come from the centre's opening hours, cut by the queue's rule, on the days the
working calendar lets the hall open."""

from __future__ import annotations

import datetime as dt

import pytest

from appointments.models import SlotRule
from appointments.services.booking import appointment_book
from appointments.services.slots import day_hours, slots_for
from centres.models import Queue
from departments.models import WorkingCalendarDay, WorkingCalendarYear

from .conftest import NOW, TUESDAY

pytestmark = pytest.mark.django_db


def _starts(slots):  # type: ignore[no-untyped-def]
    return [f"{slot.start:%H:%M}" for slot in slots]


def test_a_working_day_is_cut_into_slots_of_the_default_rule(county, queue_a):
    slots = slots_for(centre=county, queue=queue_a, day=TUESDAY)
    assert _starts(slots) == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
        "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00",
    ]  # fmt: skip
    assert f"{slots[-1].end:%H:%M}" == "17:30"
    assert {(slot.capacity, slot.booked, slot.free) for slot in slots} == {(4, 0, 4)}


def test_the_queue_rule_sets_length_and_capacity_and_a_slot_never_runs_past_closing(
    county, queue_a
):
    SlotRule.objects.create(queue=queue_a, slot_minutes=45, capacity=2)
    slots = slots_for(centre=county, queue=queue_a, day=TUESDAY)
    # 09:00–12:00 holds four 45-minute slots; 13:30–17:30 holds five (17:15 would end at 18:00).
    assert _starts(slots) == [
        "09:00",
        "09:45",
        "10:30",
        "11:15",
        "13:30",
        "14:15",
        "15:00",
        "15:45",
        "16:30",
    ]
    assert {slot.capacity for slot in slots} == {2}


def test_booked_places_are_counted_per_slot(county, queue_a, person, other_person):
    for applicant in (person, other_person):
        appointment_book(
            applicant=applicant,
            centre=county,
            queue=queue_a,
            day=TUESDAY,
            start=dt.time(9, 30),
            now=NOW,
        )
    by_start = {
        f"{slot.start:%H:%M}": slot for slot in slots_for(centre=county, queue=queue_a, day=TUESDAY)
    }
    assert (by_start["09:30"].booked, by_start["09:30"].free) == (2, 2)
    assert by_start["09:00"].booked == 0


def test_no_slots_on_a_public_holiday_even_on_a_day_the_hours_list(network, county, queue_a):
    national_day = dt.date(2026, 10, 1)  # a Thursday
    assert slots_for(centre=county, queue=queue_a, day=national_day) == []
    assert day_hours(centre=county, day=national_day).is_holiday
    # The city opens on Saturday mornings, but not on the holiday's Saturday.
    city = network["BZ"]
    city_queue = Queue.objects.get(centre=city, code="A")
    assert _starts(slots_for(centre=city, queue=city_queue, day=dt.date(2026, 9, 19)))[:1] == [
        "09:00"
    ]
    assert slots_for(centre=city, queue=city_queue, day=dt.date(2026, 10, 3)) == []


def test_no_slots_on_a_closed_weekend_but_a_make_up_working_saturday_opens(county, queue_a):
    assert slots_for(centre=county, queue=queue_a, day=dt.date(2026, 9, 19)) == []  # a Saturday
    make_up = dt.date(2026, 10, 10)  # 调休上班
    assert len(slots_for(centre=county, queue=queue_a, day=make_up)) == 14


def test_a_holiday_entered_by_a_supervisor_closes_the_hall(county, queue_a):
    year = WorkingCalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    WorkingCalendarDay.objects.create(
        year=year, date=dt.date(2027, 3, 2), is_working_day=False, name="测试假日"
    )
    assert slots_for(centre=county, queue=queue_a, day=dt.date(2027, 3, 2)) == []
    assert len(slots_for(centre=county, queue=queue_a, day=dt.date(2027, 3, 3))) == 14
