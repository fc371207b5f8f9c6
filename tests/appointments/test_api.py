"""The appointments API (issue 17.7): a queue's slots, staff booking for a person, and
cancelling — by the real clock, on the first day after today the hall opens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from appointments.constants import AppointmentChannel, AppointmentState
from appointments.models import Appointment, SlotCounter, SlotRule
from departments.constants import Role

from .conftest import staff_at
from .test_pages import next_open_day

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _start(day: dt.date, time: str = "09:00") -> str:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.fromisoformat(time))).isoformat()


def booking(centre: str, day: dt.date, time: str = "09:00", **applicant) -> dict:
    person = {"id_type": "resident_id", "id_number": "110101199003071233", "name": "王小明"}
    person.update(applicant)
    return {"centre": centre, "queue": "A", "start": _start(day, time), "applicant": person}


# --- GET centres/<code>/slots/ --------------------------------------------------------------


def test_the_slots_of_a_day_with_capacity_and_bookings(county, queue_a):
    day = next_open_day(county)
    SlotCounter.objects.create(queue=queue_a, day=day, start=dt.time(9, 0), booked=3)
    answer = APIClient().get("/api/v1/centres/QC/slots/", {"queue": "A", "date": day.isoformat()})
    assert answer.status_code == 200
    slots = answer.json()
    first = next(slot for slot in slots if slot["start"] == _start(day, "09:00"))
    assert first == {
        "start": _start(day, "09:00"),
        "end": _start(day, "09:30"),
        "capacity": 4,
        "booked": 3,
    }
    assert all(slot["booked"] == 0 for slot in slots if slot is not first)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date": "2026-09-29"}, "queue", ""),
        ({"queue": "Z", "date": "2026-09-29"}, "queue", "没有这个队列"),
        ({"queue": "A"}, "date", ""),
        ({"queue": "A", "date": "29/09/2026"}, "date", ""),
        ({"queue": "A", "date": "2000-01-01"}, "date", "不能预约已经过去的日期"),
        ({"queue": "A", "date": "2999-01-01"}, "date", "最多可提前 14 天预约"),
    ],
)
def test_a_bad_slot_query_is_refused_by_name(county, query, field, message):
    answer = APIClient().get("/api/v1/centres/QC/slots/", query)
    assert answer.status_code == 400
    assert message in answer.json()[field][0]


def test_the_slots_of_an_unknown_centre_answer_404(network):
    answer = APIClient().get("/api/v1/centres/NOPE/slots/", {"queue": "A", "date": "2026-09-29"})
    assert answer.status_code == 404


# --- POST appointments/ ---------------------------------------------------------------------


def test_a_clerk_books_for_a_person_and_gets_the_number(county, queue_a, person):
    clerk = staff_at(county)
    day = next_open_day(county)
    answer = api_as(clerk).post("/api/v1/appointments/", booking("QC", day), format="json")
    assert answer.status_code == 201
    appointment = Appointment.objects.get(number=answer.json()["appointment_no"])
    assert set(answer.json()) == {"appointment_no"}
    assert (appointment.applicant, appointment.day, appointment.start) == (person, day, dt.time(9))
    assert (appointment.booked_by, appointment.channel) == (clerk, AppointmentChannel.WINDOW)
    assert SlotCounter.objects.get(queue=queue_a, day=day, start=dt.time(9)).booked == 1


def test_a_village_agent_books_at_its_point_as_an_agent(network, person):
    point = network["QCGJGJ"]
    agent = staff_at(point, role=Role.AGENT)
    answer = api_as(agent).post(
        "/api/v1/appointments/", booking("QCGJGJ", next_open_day(point)), format="json"
    )
    assert answer.status_code == 201
    assert Appointment.objects.get().channel == AppointmentChannel.AGENT


def test_a_full_slot_answers_409_and_books_nothing(county, queue_a, person):
    SlotRule.objects.create(queue=queue_a, capacity=1)
    day = next_open_day(county)
    client = api_as(staff_at(county))
    first = booking("QC", day, id_number="110101198501011239", name="李四")
    assert client.post("/api/v1/appointments/", first, format="json").status_code == 201
    full = client.post("/api/v1/appointments/", booking("QC", day), format="json")
    assert full.status_code == 409
    assert "已约满" in full.json()["detail"]
    assert Appointment.objects.count() == 1


def _refused(client, body):  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/appointments/", body, format="json")
    assert answer.status_code == 400, answer.content
    return answer.json()


def test_every_refusal_is_on_its_field_and_writes_nothing(network, county, person):
    client = api_as(staff_at(county))
    day = next_open_day(county)
    cases = [
        ({**booking("GY", day)}, "centre", "没有这个服务中心"),  # another county: as unknown
        ({**booking("NOPE", day)}, "centre", "没有这个服务中心"),
        ({**booking("QC", day), "queue": "Z"}, "queue", "没有这个队列"),
        (booking("QC", day, "09:10"), "start", "不是时段的开始"),
        (booking("QC", day, "23:00"), "start", "不在营业时间内"),
        (booking("QC", timezone.localdate() - dt.timedelta(days=1)), "start", "已经过去"),
        (booking("QC", day + dt.timedelta(days=60)), "start", "最多可提前"),
    ]
    for body, field, message in cases:
        assert message in _refused(client, body)[field][0]
    bad_id = _refused(client, booking("QC", day, id_number="110101199003071234"))
    assert bad_id["applicant"]["id_number"]
    no_name = _refused(client, booking("QC", day, id_number="110101198001010010", name=""))
    assert no_name["applicant"]["name"]
    shape = _refused(client, {"centre": "QC"})
    assert {"queue", "start", "applicant"} <= set(shape)
    assert not Appointment.objects.exists()
    assert not SlotCounter.objects.filter(booked__gt=0).exists()


def test_a_second_booking_of_the_person_that_day_is_refused(county, person):
    client = api_as(staff_at(county))
    day = next_open_day(county)
    assert (
        client.post("/api/v1/appointments/", booking("QC", day), format="json").status_code == 201
    )
    again = client.post("/api/v1/appointments/", booking("QC", day, "10:00"), format="json")
    assert again.status_code == 400
    assert "只能预约一次" in again.json()["detail"]
    assert Appointment.objects.count() == 1


def test_only_window_staff_book(county, person, reviewer):
    body = booking("QC", next_open_day(county))
    assert APIClient().post("/api/v1/appointments/", body, format="json").status_code == 401
    assert api_as(reviewer).post("/api/v1/appointments/", body, format="json").status_code == 403
    supervisor = staff_at(county, role=Role.SUPERVISOR)
    assert api_as(supervisor).post("/api/v1/appointments/", body, format="json").status_code == 403
    assert not Appointment.objects.exists()


# --- DELETE appointments/<no>/ -----------------------------------------------------------------


def _booked(client, centre, day, **applicant) -> str:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/appointments/", booking(centre, day, **applicant), format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()["appointment_no"]


def test_cancelling_frees_the_place(county, queue_a, person):
    client = api_as(staff_at(county))
    day = next_open_day(county)
    number = _booked(client, "QC", day)
    answer = client.delete(f"/api/v1/appointments/{number}/")
    assert answer.status_code == 204
    assert Appointment.objects.get(number=number).state == AppointmentState.CANCELLED
    assert SlotCounter.objects.get(queue=queue_a, day=day, start=dt.time(9)).booked == 0
    again = client.delete(f"/api/v1/appointments/{number}/")
    assert again.status_code == 409
    assert "不能取消" in again.json()["detail"]


def test_a_started_slot_can_no_longer_be_cancelled(county, person):
    client = api_as(staff_at(county))
    number = _booked(client, "QC", next_open_day(county))
    Appointment.objects.filter(number=number).update(
        day=timezone.localdate() - dt.timedelta(days=1)
    )
    answer = client.delete(f"/api/v1/appointments/{number}/")
    assert answer.status_code == 409
    assert "已经开始" in answer.json()["detail"]
    assert Appointment.objects.get(number=number).state == AppointmentState.BOOKED


def test_an_appointment_outside_the_scope_answers_as_unknown(network, person):
    town = network["QCGJ"]
    number = _booked(api_as(staff_at(town)), "QCGJ", next_open_day(town))
    for outsider in (staff_at(network["GY"]), staff_at(network["QCHXL"])):
        outside = api_as(outsider).delete(f"/api/v1/appointments/{number}/")
        unknown = api_as(outsider).delete("/api/v1/appointments/YYNOSUCH/")
        assert outside.status_code == unknown.status_code == 404
        assert outside.json() == unknown.json()
    agent = staff_at(network["QCGJ"], role=Role.AGENT)  # not the agent who booked it
    assert api_as(agent).delete(f"/api/v1/appointments/{number}/").status_code == 404
    assert Appointment.objects.get(number=number).state == AppointmentState.BOOKED
    county_clerk = api_as(staff_at(network["QC"]))  # the county above sees its towns
    assert county_clerk.delete(f"/api/v1/appointments/{number}/").status_code == 204


def test_the_schema_lists_the_appointment_operations():
    paths = APIClient().get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert {"200", "400", "404", "429"} == set(
        paths["/api/v1/centres/{code}/slots/"]["get"]["responses"]
    )
    assert {"201", "400", "401", "403", "409"} <= set(
        paths["/api/v1/appointments/"]["post"]["responses"]
    )
    assert {"204", "401", "403", "404", "409"} == set(
        paths["/api/v1/appointments/{number}/"]["delete"]["responses"]
    )
