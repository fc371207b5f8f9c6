"""The pages: the citizen's /me/appointments/ (list, book, cancel), the window's
/window/appointments/ (book for a person, today's list, the person's no-shows) within
the clerk's part of the network."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.constants import AppointmentChannel, AppointmentState
from appointments.models import Appointment
from appointments.services.slots import day_hours
from centres.models import Queue
from departments.constants import Role

from .conftest import citizen_client, staff_at, staff_client

pytestmark = pytest.mark.django_db


def next_open_day(centre) -> dt.date:  # type: ignore[no-untyped-def]
    """The first day after today (by the real clock: the pages take no other) on which
    the centre opens."""
    day = timezone.localdate() + dt.timedelta(days=1)
    while not day_hours(centre=centre, day=day).intervals:
        day += dt.timedelta(days=1)
    return day


def _slot(centre, queue_code="A"):  # type: ignore[no-untyped-def]
    day = next_open_day(centre)
    return {"centre": centre.code, "queue": queue_code, "day": day.isoformat(), "start": "09:00"}


def test_signed_out_visitors_are_sent_to_sign_in(client, county):
    for response in (
        client.get(reverse("appointments:me")),
        client.post(reverse("appointments:me"), _slot(county)),
    ):
        assert response.status_code == 302 and response.url == reverse("citizens:sign_in")
    assert not Appointment.objects.exists()


def test_the_portal_offers_centres_queues_days_and_free_slots(client, person, county):
    citizen_client(client, person)
    choice = _slot(county)
    response = client.get(
        reverse("appointments:me"), {k: choice[k] for k in ("centre", "queue", "day")}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "谯城区政务服务中心" in html
        and "涡阳县政务服务中心" in html
        and "古井村便民服务代办点" in html
    )
    assert 'value="09:00"' in html and "余 4" in html
    assert f'href="{reverse("appointments:me")}">预约办事</a>' in html  # the portal's nav


def test_a_citizen_books_sees_and_cancels_an_appointment(client, person, county):
    citizen_client(client, person)
    response = client.post(reverse("appointments:me"), _slot(county))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.applicant == person and appointment.channel == AppointmentChannel.ONLINE
    page = client.get(response.url).content.decode()
    assert appointment.number in page and "预约成功" in page
    cancelled = client.post(reverse("appointments:me_cancel", args=[appointment.number]))
    assert cancelled.status_code == 302
    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.CANCELLED
    assert "已取消预约" in client.get(cancelled.url).content.decode()


def test_a_refused_booking_shows_the_reason_and_writes_nothing(client, person, county):
    citizen_client(client, person)
    response = client.post(reverse("appointments:me"), {**_slot(county), "start": "12:30"})
    assert response.status_code == 400
    assert "不在营业时间内" in response.content.decode()
    bad = client.post(reverse("appointments:me"), {**_slot(county), "day": "tomorrow"})
    assert bad.status_code == 400 and "日期格式应为 YYYY-MM-DD" in bad.content.decode()
    assert not Appointment.objects.exists()


def test_someone_elses_appointment_cannot_be_cancelled(client, person, other_person, county):
    citizen_client(client, other_person)
    client.post(reverse("appointments:me"), _slot(county))
    theirs = Appointment.objects.get()
    client.logout()
    citizen_client(client, person)
    assert client.post(reverse("appointments:me_cancel", args=[theirs.number])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == AppointmentState.BOOKED


def _window_booking(centre, **person):  # type: ignore[no-untyped-def]
    return {
        **_slot(centre),
        "id_type": "resident_id",
        "id_number": "110101199003071233",
        "name": "王小明",
        "phone": "13912345678",
        **person,
    }


def test_a_clerk_books_for_a_person_and_sees_their_no_shows(client, county, person):
    Appointment.objects.create(
        number="YY22222A", centre=county, queue=Queue.objects.get(centre=county, code="A"),
        day=dt.date(2026, 1, 5), start=dt.time(9), end=dt.time(9, 30),
        check_in_until=timezone.make_aware(dt.datetime(2026, 1, 5, 9, 30)), applicant=person,
        id_number=person.id_number, channel=AppointmentChannel.ONLINE, state=AppointmentState.NO_SHOW,
    )  # fmt: skip
    staff_client(client, staff_at(county))
    lookup = client.get(
        reverse("appointments:window"), {"id_number": person.id_number, "id_type": "resident_id"}
    )
    assert lookup.status_code == 200 and "王*明 累计爽约 1 次" in lookup.content.decode()
    response = client.post(reverse("appointments:window"), _window_booking(county))
    assert response.status_code == 302
    booked = Appointment.objects.get(state=AppointmentState.BOOKED)
    assert booked.applicant == person and booked.channel == AppointmentChannel.WINDOW
    assert "该申请人累计爽约 1 次" in client.get(response.url).content.decode()


def test_an_agent_books_with_the_agent_channel_at_their_village(client, network):
    village = network["QCGJGJ"]
    staff_client(client, staff_at(village, role=Role.AGENT))
    response = client.post(reverse("appointments:window"), _window_booking(village, name="赵六"))
    assert response.status_code == 302
    assert Appointment.objects.get().channel == AppointmentChannel.AGENT


def test_todays_list_shows_the_centres_appointments_with_masked_numbers(client, county, person):
    queue = Queue.objects.get(centre=county, code="A")
    today = timezone.localdate()
    Appointment.objects.create(
        number="YY33333B", centre=county, queue=queue, day=today, start=dt.time(9), end=dt.time(9, 30),
        check_in_until=timezone.now(), applicant=person, id_number=person.id_number,
        channel=AppointmentChannel.ONLINE,
    )  # fmt: skip
    staff_client(client, staff_at(county))
    html = client.get(reverse("appointments:window")).content.decode()
    assert "YY33333B" in html and "1101**********1233" in html and person.id_number not in html


def test_a_clerk_cannot_list_or_book_at_a_centre_outside_their_part_of_the_network(
    client, network, person
):
    town, other_county = network["QCGJ"], network["GY"]
    Appointment.objects.create(
        number="YY44444C", centre=other_county, queue=Queue.objects.get(centre=other_county, code="A"),
        day=timezone.localdate(), start=dt.time(9), end=dt.time(9, 30), check_in_until=timezone.now(),
        applicant=person, id_number=person.id_number, channel=AppointmentChannel.ONLINE,
    )  # fmt: skip
    staff_client(client, staff_at(town))
    assert client.get(reverse("appointments:window"), {"centre": "GY"}).status_code == 404
    own = client.get(reverse("appointments:window")).content.decode()
    assert "YY44444C" not in own and "涡阳县政务服务中心" not in own
    refused = client.post(
        reverse("appointments:window"),
        _window_booking(other_county, id_number="110101198501011239"),
    )
    assert refused.status_code == 400 and "没有这个服务中心" in refused.content.decode()
    assert Appointment.objects.count() == 1
    # A village below the town is in scope; the county above it is not.
    assert client.get(reverse("appointments:window"), {"centre": "QCGJZJ"}).status_code == 200
    assert client.get(reverse("appointments:window"), {"centre": "QC"}).status_code == 404


def test_the_county_clerk_sees_a_town_below_and_a_reviewer_is_refused(client, network, reviewer):
    staff_client(client, staff_at(network["QC"]))
    assert client.get(reverse("appointments:window"), {"centre": "QCGJ"}).status_code == 200
    client.logout()
    staff_client(client, reviewer)
    assert client.get(reverse("appointments:window")).status_code == 403
