"""The hall API (issue 17.7): take a ticket, call the next one, read the display."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from centres.models import Centre
from departments.constants import Role
from hall.constants import TicketState
from hall.models import Call, Ticket
from tests.factories import StaffFactory

from .conftest import resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def take(code: str = "QC", **body):  # type: ignore[no-untyped-def]
    return APIClient().post(f"/api/v1/centres/{code}/tickets/", body, format="json")


# --- POST centres/<code>/tickets/ ----------------------------------------------------------


def test_a_ticket_is_taken_with_its_number_position_and_wait(network):
    first = take(queue="A")
    assert first.status_code == 201
    # Nobody ahead: next, no wait.
    assert first.json() == {
        "number": "A001",
        "queue": "A",
        "position": 0,
        "estimated_wait_minutes": 0,
    }
    second = take(queue="A", priority="none").json()
    assert (second["number"], second["position"]) == ("A002", 1)
    assert second["estimated_wait_minutes"] > 0
    assert take(queue="B").json()["number"] == "B001"  # numbered per queue
    assert Ticket.objects.filter(centre=network["QC"], state=TicketState.WAITING).count() == 3


def test_an_elderly_ticket_goes_before_the_ordinary_ones(network):
    take(queue="A")
    take(queue="A")
    elderly = take(queue="A", priority="elderly", id_number=resident_id(1))
    assert elderly.status_code == 201
    assert elderly.json()["position"] == 0
    assert take(queue="A").json()["position"] == 3
    assert Ticket.objects.get(number=elderly.json()["number"]).priority == "elderly"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "queue", ""),
        ({"queue": "Z"}, "queue", "没有代码为 Z 的在用队列"),
        ({"queue": "A", "id_number": "123"}, "id_number", ""),
        ({"queue": "A", "priority": "appointment"}, "priority", ""),
        ({"queue": "A", "priority": "vip"}, "priority", ""),
    ],
)
def test_bad_input_is_refused_on_its_field_and_takes_nothing(network, body, field, message):
    answer = take(**body)
    assert answer.status_code == 400
    assert message in answer.json()[field][0]
    assert not Ticket.objects.exists()


def test_a_second_open_ticket_of_the_same_person_is_refused_on_the_id_number(network):
    assert take(queue="A", id_number=resident_id(2)).status_code == 201
    again = take(queue="A", id_number=resident_id(2))
    assert again.status_code == 400
    assert "A001" in again.json()["id_number"][0]
    assert Ticket.objects.count() == 1


def test_a_closed_centre_refuses_on_the_queue(network):
    Centre.objects.filter(code="QC").update(opening_hours={})
    answer = take(queue="A")
    assert answer.status_code == 400
    assert "不在营业时间" in answer.json()["queue"][0]
    assert not Ticket.objects.exists()


def test_an_unknown_or_inactive_centre_answers_404(network):
    assert take("NOPE", queue="A").status_code == 404
    Centre.objects.filter(code="GY").update(is_active=False)
    assert take("GY", queue="A").status_code == 404


def test_takes_are_throttled_per_address_with_the_phone_pages_count(network, settings, client):
    settings.HALL_PHONE_TAKE_LIMIT = 3
    assert take(queue="A").status_code == 201
    assert take(queue="Z").status_code == 400  # a refused take counts too
    client.post("/hall/QC/take/", {"queue": "A"})  # the phone page shares the count
    blocked = take(queue="A")
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"]
    assert Ticket.objects.count() == 2


# --- POST centres/<code>/call-next/ -------------------------------------------------------


def call_next(user, code: str = "QC", window: str = "1"):  # type: ignore[no-untyped-def]
    return api_as(user).post(
        f"/api/v1/centres/{code}/call-next/", {"window": window}, format="json"
    )


def test_a_clerk_calls_the_next_ticket_to_their_window(network, hall_clerk):
    clerk = hall_clerk("QC")
    take(queue="A")
    take(queue="A")
    answer = call_next(clerk, window="2")
    assert answer.status_code == 200
    assert answer.json() == {"number": "A001", "queue": "A", "window": "2"}
    ticket = Ticket.objects.get(number="A001", centre=network["QC"])
    assert (ticket.state, ticket.window.number, ticket.called_by) == (TicketState.CALLED, 2, clerk)
    assert call_next(clerk, window="1").json()["number"] == "A002"


def test_nobody_waiting_answers_204(network, hall_clerk):
    answer = call_next(hall_clerk("QC"))
    assert answer.status_code == 204
    assert answer.content == b""


def test_a_window_calls_only_its_own_queues(network, hall_clerk):
    take(queue="B")
    assert call_next(hall_clerk("QC"), window="1").status_code == 204  # window 1 calls A
    assert call_next(hall_clerk("QC"), window="3").json()["number"] == "B001"


@pytest.mark.parametrize(
    ("clerk_at", "code", "window"),
    [
        ("GY", "QC", "1"),  # another county's clerk
        ("QCGJ", "QC", "1"),  # a town's clerk at the county above
        ("QC", "QCGJ", "1"),  # a county clerk does not call a town's hall
        ("QC", "QC", "99"),  # no such window
        ("QC", "QC", "one"),
        ("QC", "NOPE", "1"),
    ],
)
def test_another_centres_or_an_unknown_window_answers_404_and_calls_nothing(
    network, hall_clerk, clerk_at, code, window
):
    take(queue="A")
    take("QCGJ", queue="A")
    answer = call_next(hall_clerk(clerk_at), code=code, window=window)
    assert answer.status_code == 404
    assert not Ticket.objects.exclude(state=TicketState.WAITING).exists()


def test_a_window_without_queues_is_refused_on_the_window(network, hall_clerk, window):
    window("QC", 1).queues.clear()
    answer = call_next(hall_clerk("QC"))
    assert answer.status_code == 400
    assert "没有设置服务队列" in answer.json()["window"][0]


def test_only_a_clerk_with_a_token_calls(network, hall_clerk, reviewer):
    take(queue="A")
    anonymous = APIClient().post("/api/v1/centres/QC/call-next/", {"window": "1"}, format="json")
    assert anonymous.status_code == 401
    agent = StaffFactory(role=Role.AGENT)
    assert call_next(agent).status_code == 403
    assert call_next(reviewer).status_code == 403
    assert not Ticket.objects.exclude(state=TicketState.WAITING).exists()


def test_bad_input_to_call_next_is_refused_by_field(network, hall_clerk):
    answer = api_as(hall_clerk("QC")).post("/api/v1/centres/QC/call-next/", {}, format="json")
    assert answer.status_code == 400
    assert "window" in answer.json()


# --- GET centres/<code>/display/ ------------------------------------------------------------


def test_the_display_shows_the_calls_and_the_waiting_counts(network, hall_clerk):
    for _ in range(3):
        take(queue="A")
    take(queue="B")
    call_next(hall_clerk("QC"), window="2")
    answer = APIClient().get("/api/v1/centres/QC/display/")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"calls", "waiting"}
    assert body["waiting"] == {"A": 2, "B": 1, "C": 0}
    (call,) = body["calls"]
    assert (call["number"], call["window"]) == ("A001", "2")
    assert call["at"].startswith(Call.objects.get().at.astimezone().date().isoformat()[:4])


def test_the_display_of_an_unknown_centre_answers_404(network):
    assert APIClient().get("/api/v1/centres/NOPE/display/").status_code == 404


def test_the_schema_lists_the_hall_operations():
    paths = APIClient().get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert set(paths["/api/v1/centres/{code}/tickets/"]["post"]["responses"]) == {
        "201",
        "400",
        "404",
        "415",
        "429",
    }
    assert {"200", "204", "400", "401", "403", "404"} <= set(
        paths["/api/v1/centres/{code}/call-next/"]["post"]["responses"]
    )
    assert set(paths["/api/v1/centres/{code}/display/"]["get"]["responses"]) == {"200", "404"}
