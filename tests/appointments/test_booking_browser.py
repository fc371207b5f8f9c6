"""On a phone-sized page in headless Chromium: a citizen signs in with a one-time code,
picks a centre, queue and day at /me/appointments/, books a free slot and sees the
appointment number."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from appointments.constants import AppointmentChannel, AppointmentState
from appointments.models import Appointment
from citizens.sms import ConsoleSmsBackend, sms_backend
from tests.browser.conftest import browser  # noqa: F401 - headless Chromium

from .test_pages import next_open_day

PHONE_WIDTH, PHONE_HEIGHT = 390, 844  # a common phone's viewport in CSS pixels


@pytest.fixture
def phone(browser):  # noqa: F811 - the imported fixture
    previous = browser.get_window_size()
    browser.set_window_size(PHONE_WIDTH, PHONE_HEIGHT)
    yield browser
    browser.set_window_size(previous["width"], previous["height"])


def _click(driver, element):  # type: ignore[no-untyped-def]
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def _fits_the_screen(driver) -> bool:  # type: ignore[no-untyped-def]
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def _sign_in(driver, base: str, applicant) -> None:  # type: ignore[no-untyped-def]
    """The one-time-code sign-in, as in tests/driver/test_apply_online.py: the console SMS
    backend is the embedded mode's gateway, the code is what it sent."""
    backend = sms_backend()
    assert isinstance(backend, ConsoleSmsBackend)
    backend.sent.clear()
    wait = WebDriverWait(driver, 20)
    driver.delete_all_cookies()
    driver.get(f"{base}/me/sign-in/")
    driver.find_element(By.NAME, "id_number").send_keys(applicant.id_number)
    _click(driver, driver.find_element(By.CSS_SELECTOR, "form button"))
    wait.until(conditions.presence_of_element_located((By.NAME, "code")))
    wait.until(lambda _page: any(to == applicant.phone for to, _message in backend.sent))
    message = [message for to, message in backend.sent if to == applicant.phone][-1]
    driver.find_element(By.NAME, "code").send_keys(re.search(r"(\d{6})", message).group(1))
    _click(driver, driver.find_element(By.CSS_SELECTOR, "form button"))
    wait.until(conditions.presence_of_element_located((By.LINK_TEXT, "预约办事")))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_books_a_free_slot_on_a_phone(live_server, phone, person, county):
    driver = phone
    day = next_open_day(county)
    _sign_in(driver, live_server.url, person)

    _click(driver, driver.find_element(By.LINK_TEXT, "预约办事"))
    picker = WebDriverWait(driver, 10).until(
        conditions.presence_of_element_located((By.ID, "slot-picker"))
    )
    assert "您还没有预约" in driver.find_element(By.ID, "my-appointments").text
    Select(picker.find_element(By.ID, "picker-centre")).select_by_value(county.code)
    Select(picker.find_element(By.ID, "picker-queue")).select_by_value("A")
    Select(picker.find_element(By.ID, "picker-day")).select_by_value(day.isoformat())
    _click(driver, picker.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    # The chosen day's page. Not staleness_of(picker): while the page is replaced Chromium
    # may answer "node does not belong to the document" instead of "stale element".
    WebDriverWait(driver, 10).until(lambda page: f"day={day.isoformat()}" in page.current_url)

    slot = WebDriverWait(driver, 10).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, "#slots input[value='09:00']"))
    )
    label = driver.find_element(By.CSS_SELECTOR, f"label[for={slot.get_attribute('id')}]")
    assert "09:00" in label.text and "余 4" in label.text
    assert _fits_the_screen(driver)
    _click(driver, label)
    _click(driver, driver.find_element(By.XPATH, "//button[text()='预约所选时段']"))

    WebDriverWait(driver, 10).until(lambda page: "预约成功" in page.page_source)
    appointment = Appointment.objects.get()
    assert appointment.applicant == person and appointment.centre == county
    assert appointment.queue.code == "A" and appointment.day == day
    assert appointment.start.strftime("%H:%M") == "09:00"
    assert appointment.channel == AppointmentChannel.ONLINE
    assert appointment.state != AppointmentState.CANCELLED
    listed = driver.find_element(By.ID, "my-appointments").text
    assert appointment.number in listed and county.name in listed
    assert _fits_the_screen(driver)
    driver.save_screenshot("/tmp/appointment-booked-phone.png")
    driver.get("about:blank")
