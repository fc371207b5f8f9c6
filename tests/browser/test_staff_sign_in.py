"""A reviewer signs in to the admin in Chromium: password, then the authenticator's code."""

from __future__ import annotations

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from departments.constants import Role
from tests.factories import DepartmentFactory, StaffFactory
from tests.sign_in import totp_code, totp_device


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reviewer_signs_in_with_password_and_the_current_code(live_server, browser):
    reviewer = StaffFactory(
        username="reviewer_browser", role=Role.REVIEWER, department=DepartmentFactory(code="A")
    )
    device = totp_device(reviewer)
    wait = WebDriverWait(browser, 20)

    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/")
    browser.find_element(By.NAME, "auth-username").send_keys(reviewer.username)
    browser.find_element(By.NAME, "auth-password").send_keys(settings.DEMO_PASSWORD)
    browser.find_element(By.ID, "sign-in-submit").click()

    code_input = wait.until(conditions.presence_of_element_located((By.NAME, "token-otp_token")))
    assert "动态验证码" in browser.page_source
    code_input.send_keys(totp_code(device))
    browser.find_element(By.ID, "sign-in-submit").click()

    wait.until(conditions.presence_of_element_located((By.ID, "site-name")))
    assert browser.current_url.rstrip("/").endswith("/admin")
    assert "reviewer_browser" in browser.page_source
