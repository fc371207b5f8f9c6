"""A slot of capacity 3 booked by 20 people at once: exactly 3 win, the others are told
the slot is full, and the counter agrees with the rows (issue 17, "done means")."""

from __future__ import annotations

import datetime as dt

import pytest

from appointments.exceptions import AlreadyBookedError, SlotFullError
from appointments.models import Appointment, SlotCounter, SlotRule
from appointments.services.booking import appointment_book
from tests.concurrency import race
from tests.factories import ApplicantFactory

from .conftest import NOW, TUESDAY

THREADS = 20
NINE = dt.time(9, 0)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_people_booking_a_slot_of_three_at_once_exactly_three_win(county, queue_a):
    SlotRule.objects.create(queue=queue_a, capacity=3)
    people = [ApplicantFactory() for _ in range(THREADS)]

    def book(applicant):  # type: ignore[no-untyped-def]
        return lambda: appointment_book(
            applicant=applicant, centre=county, queue=queue_a, day=TUESDAY, start=NINE, now=NOW
        )

    outcomes = race([book(applicant) for applicant in people])
    winners = [outcome for outcome in outcomes if isinstance(outcome, Appointment)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, SlotFullError)]
    assert (len(winners), len(losers)) == (3, THREADS - 3), outcomes
    assert Appointment.objects.count() == 3
    assert SlotCounter.objects.get().booked == 3


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_one_person_booking_twice_at_once_gets_one_appointment(county, queue_a, person):
    starts = [NINE, dt.time(9, 30)]
    outcomes = race(
        [
            (lambda start=start: appointment_book(
                applicant=person, centre=county, queue=queue_a, day=TUESDAY, start=start, now=NOW
            ))
            for start in starts
        ]
    )  # fmt: skip
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["AlreadyBookedError", "Appointment"], outcomes
    assert Appointment.objects.count() == 1
    assert sum(SlotCounter.objects.values_list("booked", flat=True)) == 1
    assert isinstance(
        next(o for o in outcomes if not isinstance(o, Appointment)), AlreadyBookedError
    )
