"""In headless Chromium, the hall end to end: a person takes a ticket at the kiosk, the
hall display (its own browser window) shows the number when a clerk calls it from the
window page, and the clerk serves the person and finishes the ticket into a case."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from cases.constants import CaseState
from hall.constants import TicketState
from hall.models import Call, Ticket
from tests.factories import CaseFactory


def _click(browser, element):  # type: ignore[no-untyped-def]
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def _take_at_the_kiosk(browser, base: str) -> Ticket:  # type: ignore[no-untyped-def]
    browser.get(f"{base}/hall/BZ/kiosk/")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=queue][value=A]"))
    _click(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    number = WebDriverWait(browser, 10).until(
        conditions.presence_of_element_located((By.ID, "ticket-number"))
    )
    assert number.text == "A001"
    assert "前面还有 0 人" in browser.find_element(By.ID, "ticket-position").text
    return Ticket.objects.get()


def _sign_in_clerk(browser, base: str, clerk) -> None:  # type: ignore[no-untyped-def]
    browser.delete_all_cookies()
    browser.get(f"{base}/admin/login/?next=/window/hall/")
    browser.find_element(By.NAME, "auth-username").send_keys(clerk.username)
    browser.find_element(By.NAME, "auth-password").send_keys(settings.DEMO_PASSWORD)
    browser.find_element(By.ID, "sign-in-submit").click()
    WebDriverWait(browser, 20).until(conditions.presence_of_element_located((By.ID, "id_window")))


def _call_from_window_3(browser, window) -> None:  # type: ignore[no-untyped-def]
    Select(browser.find_element(By.ID, "id_window")).select_by_value(str(window("BZ", 3).pk))
    _click(browser, browser.find_element(By.XPATH, "//button[text()='选择窗口']"))
    call_next = WebDriverWait(browser, 10).until(
        conditions.presence_of_element_located((By.ID, "call-next"))
    )
    _click(browser, call_next)
    WebDriverWait(browser, 10).until(lambda driver: "已叫号 A001" in driver.page_source)


def _serve_into_case(browser, ticket: Ticket, tracking_no: str) -> None:  # type: ignore[no-untyped-def]
    card = f"#ticket-{ticket.pk}"
    _click(browser, browser.find_element(By.CSS_SELECTOR, f"{card} form[action$='/start/'] button"))
    field = WebDriverWait(browser, 10).until(
        conditions.presence_of_element_located((By.ID, f"done-{ticket.pk}"))
    )
    field.send_keys(tracking_no)
    _click(browser, browser.find_element(By.CSS_SELECTOR, f"{card} form[action$='/done/'] button"))
    WebDriverWait(browser, 10).until(lambda driver: "号码 A001：已办结" in driver.page_source)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_kiosk_ticket_is_called_on_the_display_and_served_into_a_case(
    live_server, browser, network, window, hall_clerk
):
    cache.clear()  # the kiosk's take limit counts per address across tests
    base = live_server.url
    clerk = hall_clerk("BZ")
    case = CaseFactory(centre=network["BZ"], state=CaseState.SUBMITTED)
    browser.delete_all_cookies()
    ticket = _take_at_the_kiosk(browser, base)
    assert ticket.state == TicketState.WAITING and ticket.queue.code == "A"

    clerk_window = browser.current_window_handle
    browser.switch_to.new_window("window")
    display_window = browser.current_window_handle
    try:
        browser.get(f"{base}/hall/BZ/display/")
        waiting = browser.find_element(
            By.CSS_SELECTOR, '#hall-waiting [data-queue="A"] .hall-waiting-count'
        )
        assert waiting.text == "1"
        assert "A001" not in browser.find_element(By.ID, "hall-calls").text

        browser.switch_to.window(clerk_window)
        _sign_in_clerk(browser, base, clerk)
        _call_from_window_3(browser, window)

        browser.switch_to.window(display_window)
        WebDriverWait(browser, 5, poll_frequency=0.1).until(
            lambda driver: "A001" in driver.find_element(By.ID, "hall-calls").text
        )
        assert "3号窗口" in browser.find_element(By.ID, "hall-calls").text
        assert waiting.text == "0"
    finally:
        # The display polls for ever: leave it and close its window before the database goes.
        browser.switch_to.window(display_window)
        browser.get("about:blank")
        browser.close()
        browser.switch_to.window(clerk_window)

    _serve_into_case(browser, ticket, case.tracking_no)
    finished = browser.find_element(
        By.XPATH, "//h2[text()='本窗口今日已处理']/following-sibling::table"
    )
    assert "A001" in finished.text and case.tracking_no in finished.text
    ticket = Ticket.objects.get(pk=ticket.pk)  # a protected state field: read it afresh
    assert ticket.state == TicketState.DONE
    assert ticket.window == window("BZ", 3) and ticket.called_by == clerk
    assert list(ticket.cases.all()) == [case]
    assert Call.objects.filter(ticket=ticket).count() == 1
    browser.get("about:blank")
