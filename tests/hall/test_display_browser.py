"""In headless Chromium: the hall display shows a new call by itself within a second and
says it aloud in Chinese (the browser's speech synthesis is the recorded edge)."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from hall.services.calling import ticket_call_next
from hall.services.tickets import ticket_take

RECORD_SPEECH = """
window.spoken = [];
window.speechSynthesis.speak = function (utterance) {
  window.spoken.push([utterance.text, utterance.lang]);
};
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_display_shows_and_speaks_a_new_call_within_a_second(
    live_server, browser, queue, window, hall_clerk
):
    a = queue("BZ", "A")
    ticket_take(queue=a)
    ticket_take(queue=a)
    browser.get(f"{live_server.url}/hall/BZ/display/")
    try:
        _shows_and_speaks(browser, window, hall_clerk)
    finally:
        # The page polls for ever: leave it, or it calls the live server after this test's
        # database is gone, and another test's client receives that request's error.
        browser.get("about:blank")


def _shows_and_speaks(browser, window, hall_clerk):  # type: ignore[no-untyped-def]
    browser.execute_script(RECORD_SPEECH)
    waiting = browser.find_element(
        By.CSS_SELECTOR, '#hall-waiting [data-queue="A"] .hall-waiting-count'
    )
    assert waiting.text == "2"
    ticket_call_next(window=window("BZ", 3), user=hall_clerk("BZ"))
    called_at = time.monotonic()
    WebDriverWait(browser, 3, poll_frequency=0.05).until(
        lambda driver: "A001" in driver.find_element(By.ID, "hall-calls").text
    )
    assert time.monotonic() - called_at < 1.5  # polled every 800 ms
    assert "3号窗口" in browser.find_element(By.ID, "hall-calls").text
    assert waiting.text == "1"
    assert browser.execute_script("return window.spoken") == [["请A001号到3号窗口", "zh-CN"]]
