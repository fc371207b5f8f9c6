"""The hall's pages: kiosk, phone, ticket, display (and its JSON), and the clerk's
calling page; throttling, bad input, and another centre's window (404)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from cases.constants import CaseState
from hall.constants import TicketState
from hall.models import Call, Ticket
from hall.services.calling import ticket_call_next, ticket_recall
from hall.services.tickets import ticket_take
from tests.factories import CaseFactory
from tests.sign_in import sign_in

from .conftest import resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def test_the_kiosk_shows_the_queues_and_the_phone_qr_code(client, network):
    page = client.get("/hall/BZ/kiosk/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "亳州市政务服务中心" in html and "A 综合受理" in html and "D 社保医保" in html
    assert "<svg" in html and "http://testserver/hall/BZ/take/" in html
    assert "<script>" not in html  # CSP: no inline script


def test_taking_at_the_kiosk_shows_number_position_and_wait(client, queue):
    ticket_take(queue=queue("BZ", "A"))
    answer = client.post("/hall/BZ/kiosk/", {"queue": "A", "priority": "none", "id_number": ""})
    assert answer.status_code == 302
    ticket = Ticket.objects.get(number="A002")
    assert answer.url == reverse("hall:ticket", args=["BZ", ticket.token]) + "?kiosk=1"
    page = client.get(answer.url)
    html = page.content.decode()
    assert (
        "A002" in html and "前面还有 1 人" in html and "预计等候约 2 分钟" in html
    )  # 6 min ÷ 4 windows
    assert "返回取号" in html


def test_the_phone_page_takes_a_ticket_with_a_masked_id(client, network):
    person = resident_id(7)
    assert client.get("/hall/QCGJ/take/").status_code == 200
    answer = client.post(
        "/hall/QCGJ/take/", {"queue": "B", "priority": "elderly", "id_number": person}
    )
    ticket = Ticket.objects.get()
    assert (ticket.number, ticket.priority, ticket.id_number) == ("B001", "elderly", person)
    html = client.get(answer.url).content.decode()
    assert person not in html and person[:4] + "*" * 10 + person[-4:] in html
    # The same person again for the same queue: refused, nothing written.
    again = client.post("/hall/QCGJ/take/", {"queue": "B", "id_number": person.lower()})
    assert again.status_code == 400
    assert "已有未办结的号码 B001" in again.content.decode()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"queue": "Z"}, "没有这个队列"),
        ({}, "请选择要办理的业务队列"),
        ({"queue": "A", "id_number": "341602195001010015"}, "校验"),
        ({"queue": "A", "priority": "appointment"}, "优先类别无效"),
    ],
)
def test_bad_input_on_the_phone_page_changes_nothing(client, network, data, message):
    answer = client.post("/hall/BZ/take/", data)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not Ticket.objects.exists()


def test_an_unknown_centre_is_404(client, network):
    for url in ("/hall/XX/kiosk/", "/hall/XX/take/", "/hall/XX/display/", "/hall/XX/display.json"):
        assert client.get(url).status_code == 404, url


def test_taking_is_throttled_per_client_address(client, network, settings):
    settings.HALL_PHONE_TAKE_LIMIT = 2
    for _ in range(2):
        assert client.post("/hall/BZ/take/", {"queue": "A"}).status_code == 302
    refused = client.post("/hall/BZ/take/", {"queue": "A"})
    assert refused.status_code == 429
    assert "取号请求过于频繁" in refused.content.decode()
    assert int(refused.headers["Retry-After"]) > 0
    assert Ticket.objects.count() == 2
    # Another address is not slowed down; a forged X-Forwarded-For is not another address.
    forged = client.post("/hall/BZ/take/", {"queue": "A"}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429
    other = client.post("/hall/BZ/take/", {"queue": "A"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302
    # The kiosk counts apart, with its own limit.
    assert client.post("/hall/BZ/kiosk/", {"queue": "A"}).status_code == 302


def test_the_display_page_loads_its_script_and_the_board(client, queue):
    ticket_take(queue=queue("BZ", "A"))
    html = client.get("/hall/BZ/display/").content.decode()
    assert "/static/hall/display.js" in html
    assert 'data-board-url="/hall/BZ/display.json"' in html
    assert re.search(r"<script>\S", html) is None
    assert "暂无叫号" in html


def test_the_display_board_follows_calls_and_waiting(client, queue, window, hall_clerk):
    a = queue("BZ", "A")
    ticket_take(queue=a)
    ticket_take(queue=a)
    ticket_take(queue=queue("BZ", "C"))
    board = client.get("/hall/BZ/display.json").json()
    assert board["calls"] == []
    assert board["waiting"] == {"A": 2, "B": 0, "C": 1, "D": 0}
    clerk = hall_clerk("BZ")
    ticket = ticket_call_next(window=window("BZ", 3), user=clerk)
    board = client.get("/hall/BZ/display.json").json()
    assert board["waiting"]["A"] == 1
    [call] = board["calls"]
    assert (call["number"], call["window"], call["speech"]) == ("A001", 3, "请A001号到3号窗口")
    ticket_recall(ticket=ticket, user=clerk)
    board = client.get("/hall/BZ/display.json").json()
    assert [entry["number"] for entry in board["calls"]] == ["A001", "A001"]
    assert board["calls"][0]["id"] > call["id"]  # a new call: the display says it again
    # Another centre's display shows none of it.
    assert client.get("/hall/QC/display.json").json()["calls"] == []


def test_the_window_navigation_links_to_calling(client, hall_clerk):
    sign_in(client, hall_clerk("BZ"))
    assert reverse("hall:window") in client.get(reverse("window:queue")).content.decode()


def test_a_clerk_calls_serves_and_links_cases_at_the_window(client, queue, hall_clerk, network):
    clerk = hall_clerk("BZ")
    sign_in(client, clerk)
    ticket_take(queue=queue("BZ", "A"))
    window_3 = network["BZ"].windows.get(number=3)
    assert client.post("/window/hall/call-next/").status_code == 302  # no window yet: a message
    assert not Ticket.objects.filter(state=TicketState.CALLED).exists()
    client.post("/window/hall/", {"window": window_3.pk})
    assert client.session["hall_window_id"] == window_3.pk
    client.post("/window/hall/call-next/")
    ticket = Ticket.objects.get()
    assert (ticket.state, ticket.window_id) == (TicketState.CALLED, window_3.pk)
    page = client.get("/window/hall/").content.decode()
    assert "A001" in page and "已叫 1 次" in page
    client.post(f"/window/hall/tickets/{ticket.pk}/no-show/", follow=True)
    assert Ticket.objects.get().state == TicketState.CALLED  # only after three calls
    client.post(f"/window/hall/tickets/{ticket.pk}/start/")
    case = CaseFactory(centre=network["BZ"], state=CaseState.SUBMITTED)
    refused = client.post(
        f"/window/hall/tickets/{ticket.pk}/done/", {"tracking_numbers": "NOSUCH1"}, follow=True
    )
    assert "没有办件编号 NOSUCH1" in refused.content.decode()
    assert Ticket.objects.get().state == TicketState.SERVING
    client.post(
        f"/window/hall/tickets/{ticket.pk}/done/", {"tracking_numbers": f" {case.tracking_no}， "}
    )
    ticket = Ticket.objects.get()
    assert ticket.state == TicketState.DONE
    assert list(ticket.cases.all()) == [case]
    assert client.post("/window/hall/call-next/", follow=True).status_code == 200


def test_a_clerk_of_another_centre_gets_404(client, queue, window, hall_clerk):
    ticket_take(queue=queue("BZ", "A"))
    bz_window = window("BZ", 1)
    ticket = ticket_call_next(window=bz_window, user=hall_clerk("BZ"))
    sign_in(client, hall_clerk("QC"))
    assert client.post("/window/hall/", {"window": bz_window.pk}).status_code == 404
    assert "hall_window_id" not in client.session
    for action in ("recall", "no-show", "start", "done", "transfer"):
        assert client.post(f"/window/hall/tickets/{ticket.pk}/{action}/").status_code == 404
    assert Call.objects.count() == 1
    # Their own centre's windows are the only ones offered.
    page = client.get("/window/hall/").content.decode()
    assert f'value="{bz_window.pk}"' not in page
    assert f'value="{window("QC", 1).pk}"' in page


def test_only_clerks_use_the_calling_page(client, reviewer):
    assert client.get("/window/hall/").status_code == 302  # to the sign-in
    sign_in(client, reviewer)
    assert client.get("/window/hall/").status_code == 403
