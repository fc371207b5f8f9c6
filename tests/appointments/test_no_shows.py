"""An appointment still booked once its check-in has closed becomes a no-show, all of
them in one UPDATE; no-shows are counted per person."""

from __future__ import annotations

import datetime as dt

import pytest

from appointments.constants import AppointmentState
from appointments.selectors import applicant_no_show_count, no_show_counts
from appointments.services.booking import appointment_book, appointment_cancel
from appointments.services.no_shows import appointments_mark_no_shows
from appointments.tasks import mark_no_shows

from .conftest import NOW, TUESDAY

pytestmark = pytest.mark.django_db


def _book(person, county, queue, start, day=TUESDAY):  # type: ignore[no-untyped-def]
    return appointment_book(
        applicant=person, centre=county, queue=queue, day=day, start=start, now=NOW
    )


def test_no_shows_are_marked_in_one_statement_once_check_in_closed(
    person, other_person, county, queue_a, django_assert_num_queries
):
    early = _book(person, county, queue_a, dt.time(9, 0))
    later = _book(other_person, county, queue_a, dt.time(10, 0))
    cancelled = _book(other_person, county, queue_a, dt.time(9, 0), day=dt.date(2026, 9, 30))
    appointment_cancel(appointment=cancelled, now=NOW)
    # 09:31: the 09:00 slot's check-in closed (its end, 09:30), the 10:00 slot's has not.
    moment = NOW.replace(day=29, hour=9, minute=31)
    with django_assert_num_queries(1):
        marked = appointments_mark_no_shows(day=TUESDAY, now=moment)
    assert marked == 1
    for appointment in (early, later, cancelled):
        appointment.refresh_from_db()
    assert (early.state, later.state, cancelled.state) == (
        AppointmentState.NO_SHOW,
        AppointmentState.BOOKED,
        AppointmentState.CANCELLED,
    )
    # Running again changes nothing (the beat may fire twice).
    assert appointments_mark_no_shows(day=TUESDAY, now=moment) == 0


def test_no_shows_are_counted_per_person(person, other_person, county, queue_a):
    queue_b = queue_a.centre.queues.get(code="B")
    _book(person, county, queue_a, dt.time(9, 0))
    _book(person, county, queue_b, dt.time(9, 0))
    _book(other_person, county, queue_a, dt.time(9, 0))
    _book(other_person, county, queue_b, dt.time(11, 0))
    appointments_mark_no_shows(day=TUESDAY, now=NOW.replace(day=29, hour=10))
    assert applicant_no_show_count(applicant=person) == 2
    assert applicant_no_show_count(applicant=other_person) == 1
    assert no_show_counts(applicant_ids=[person.pk, other_person.pk]) == {
        person.pk: 2,
        other_person.pk: 1,
    }


def test_the_periodic_task_marks_what_has_closed_by_now(person, county, queue_a):
    past = _book(person, county, queue_a, dt.time(9, 0))  # 29 September 2026: long gone
    assert mark_no_shows.apply().get() == 1
    past.refresh_from_db()
    assert past.state == AppointmentState.NO_SHOW
