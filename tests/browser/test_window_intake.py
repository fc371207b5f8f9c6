"""A clerk walks the open-a-restaurant bundle from the credit code to the printed receipt."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from cases.constants import CaseState
from cases.models import Case, Visit
from departments.models import RegistryRecord
from departments.services.demo import demo_load

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clerk_opens_a_restaurant_from_credit_code_to_printed_receipt(live_server, browser):
    demo_load(force=True)
    company = (
        RegistryRecord.objects.filter(registry__code="LEGAL_PERSON", data__status="存续")
        .order_by("subject_id")
        .first()
    )
    wait = WebDriverWait(browser, 20)

    browser.delete_all_cookies()
    # The admin's login page sends to the staff sign-in; a clerk needs no second factor.
    browser.get(f"{live_server.url}/admin/login/?next=/window/")
    browser.find_element(By.NAME, "auth-username").send_keys("clerk")
    browser.find_element(By.NAME, "auth-password").send_keys("onewindow-demo")
    browser.find_element(By.ID, "sign-in-submit").click()
    wait.until(conditions.presence_of_element_located((By.ID, "queue")))

    browser.find_element(By.LINK_TEXT, "新建受理").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=id_type][value=uscc]").click()
    browser.find_element(By.NAME, "id_number").send_keys(company.subject_id)
    # The htmx search narrows the catalogue to the bundle.
    browser.find_element(By.ID, "catalogue-search").send_keys("开餐馆")
    wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "input[name=bundle]")) == 2)
    browser.find_element(By.CSS_SELECTOR, "input[name=bundle][value=OPEN_RESTAURANT]").click()
    _click(browser, browser.find_element(By.ID, "start-intake"))

    wait.until(conditions.presence_of_element_located((By.ID, "checklist")))
    case = Case.objects.get()
    assert browser.find_element(By.ID, "id_name").get_attribute("value") == company.data["name"]
    rows = browser.find_elements(By.CSS_SELECTOR, "#checklist tbody tr")
    codes = [row.get_attribute("data-material") for row in rows]
    assert len(codes) == len(set(codes))  # each material once across the four items
    statuses = {
        row.get_attribute("data-material"): row.get_attribute("data-status") for row in rows
    }
    assert statuses["NAME_APPROVAL"] == "produced_in_case"
    assert statuses["BUSINESS_LICENCE"] == "verified"
    assert "法人单位基础信息库 核验通过" in browser.find_element(By.ID, "checklist").text

    scan = Path(tempfile.mkdtemp()) / "scan.pdf"
    scan.write_bytes(PDF)
    while True:
        inputs = browser.find_elements(
            By.CSS_SELECTOR, "#checklist tr[data-status=missing] input[type=file]"
        )
        if not inputs:
            break
        row_code = inputs[0].find_element(By.XPATH, "./ancestor::tr").get_attribute("data-material")
        inputs[0].send_keys(str(scan))
        _click(browser, inputs[0].find_element(By.XPATH, "./following-sibling::button"))
        wait.until(
            conditions.presence_of_element_located(
                (By.CSS_SELECTOR, f"#checklist tr[data-material={row_code}][data-status=uploaded]")
            )
        )

    _click(browser, browser.find_element(By.ID, "submit-case"))
    wait.until(conditions.presence_of_element_located((By.ID, "receipt")))
    case.refresh_from_db()
    assert case.state not in (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS)
    receipt = browser.find_element(By.ID, "receipt")
    assert browser.find_element(By.ID, "receipt-number").text == case.tracking_no
    assert browser.find_element(By.ID, "receipt-due").text == case.due_date.isoformat()
    items = browser.find_elements(By.CSS_SELECTOR, "#receipt-items tbody tr")
    assert [row.text.split()[0] for row in items] == ["A001", "A002", "A003", "I001"]
    assert receipt.find_element(By.CSS_SELECTOR, ".qr svg").is_displayed()
    printed = base64.b64decode(browser.print_page())
    assert printed.startswith(b"%PDF")
    assert Visit.objects.filter(case=case).count() == 1


def _click(browser, element):
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    try:
        element.click()
    except Exception:
        browser.save_screenshot("/tmp/window-click.png")
        raise
