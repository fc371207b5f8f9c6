"""On a phone: a citizen signs in with a one-time code, applies online for the second-child
permit (the form filled from the ID number alone) and submits it, without a visit."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from cases.constants import ApplicantKind, CaseState, Channel, IdType
from cases.models import Case, Visit
from citizens.sms import ConsoleSmsBackend, sms_backend
from departments.models import RegistryRecord
from departments.services.demo import demo_load
from tests.factories import ApplicantFactory

PHONE_WIDTH, PHONE_HEIGHT = 390, 844  # a common phone's viewport in CSS pixels


@pytest.fixture
def phone(browser):
    previous = browser.get_window_size()
    browser.set_window_size(PHONE_WIDTH, PHONE_HEIGHT)
    yield browser
    browser.set_window_size(previous["width"], previous["height"])


def _fits_the_screen(browser) -> bool:
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def _click(browser, element):
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_applies_for_the_second_child_permit_on_a_phone(live_server, phone):
    demo_load(force=True)
    record = (
        RegistryRecord.objects.filter(registry__code="POPULATION", data__marital_status="已婚")
        .exclude(data__spouse_id="")
        .order_by("subject_id")
        .first()
    )
    applicant = ApplicantFactory(
        kind=ApplicantKind.PERSON,
        id_type=IdType.RESIDENT_ID,
        id_number=record.subject_id,
        name=record.data["name"],
        phone="13912340000",
    )
    backend = sms_backend()
    assert isinstance(backend, ConsoleSmsBackend)
    backend.sent.clear()
    browser = phone
    wait = WebDriverWait(browser, 20)

    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/me/sign-in/")
    browser.find_element(By.NAME, "id_number").send_keys(applicant.id_number)
    _click(browser, browser.find_element(By.CSS_SELECTOR, "form button"))
    wait.until(conditions.presence_of_element_located((By.NAME, "code")))
    # The console SMS backend is the embedded mode's gateway: the code is what it sent.
    wait.until(lambda driver: any(to == applicant.phone for to, _message in backend.sent))
    message = [message for to, message in backend.sent if to == applicant.phone][-1]
    code = re.search(r"(\d{6})", message).group(1)
    browser.find_element(By.NAME, "code").send_keys(code)
    _click(browser, browser.find_element(By.CSS_SELECTOR, "form button"))

    wait.until(conditions.presence_of_element_located((By.LINK_TEXT, "网上办理")))
    _click(browser, browser.find_element(By.LINK_TEXT, "网上办理"))
    _click(browser, browser.find_element(By.CSS_SELECTOR, "#life-events [data-event=birth]"))
    wait.until(conditions.presence_of_element_located((By.ID, "apply-bundle-SECOND_CHILD_PERMIT")))
    assert _fits_the_screen(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-bundle=OPEN_RESTAURANT]")
    _click(browser, browser.find_element(By.ID, "apply-bundle-SECOND_CHILD_PERMIT"))

    wait.until(conditions.presence_of_element_located((By.ID, "checklist")))
    case = Case.objects.get(applicant=applicant)
    assert case.channel == Channel.ONLINE
    spouse = browser.find_element(By.ID, "field-I002__spouse_name")
    assert spouse.get_attribute("value") == record.data["spouse_name"]
    statuses = {
        row.get_attribute("data-material"): row.get_attribute("data-status")
        for row in browser.find_elements(By.CSS_SELECTOR, "#checklist [data-material]")
    }
    assert statuses and set(statuses.values()) == {"verified"}
    assert not browser.find_elements(By.CSS_SELECTOR, "#checklist input[type=file]")
    assert _fits_the_screen(browser)
    browser.save_screenshot("/tmp/apply-online-checklist.png")

    _click(browser, browser.find_element(By.ID, "submit-application"))
    wait.until(conditions.url_contains(f"/me/cases/{case.tracking_no}/"))
    assert case.tracking_no in browser.find_element(By.TAG_NAME, "main").text
    assert "本件您到现场 0 次" in browser.find_element(By.TAG_NAME, "main").text
    assert _fits_the_screen(browser)
    browser.save_screenshot("/tmp/apply-online-submitted.png")
    case.refresh_from_db()
    assert case.accepted_at is not None
    assert case.state not in (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS)
    assert not Visit.objects.filter(case=case).exists()

    # The permit is decided automatically: its certificate is in the wallet.
    _click(browser, browser.find_element(By.LINK_TEXT, "证照夹"))
    wait.until(conditions.url_contains("/me/certificates/"))
    certificate = case.certificates.get()
    assert certificate.number in browser.find_element(By.TAG_NAME, "main").text
