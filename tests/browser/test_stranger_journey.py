"""Issue 18's "done means", on a phone: a stranger finds "开餐馆" in the public guide,
reads the bundle's guide, signs up with real-name identity, switches to the company the
legal-person registry names them the representative of, applies online for the whole
bundle without a visit, pays the fee on the (development) gateway's page and sees the
case accepted and the fee paid.

Only the data is set up directly (the demo catalogue, one fee, the person in the
population registry, the company's representative); everything the person does goes
through the pages. The SMS code is read from the console backend, the embedded mode's
SMS gateway.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

from cases.constants import CaseState, Channel, VerificationOutcome
from cases.models import Applicant, Case, Visit
from citizens.models import VerifiedPhone
from citizens.sms import ConsoleSmsBackend, sms_backend
from departments.identifiers import make_resident_id
from departments.models import Registry, RegistryRecord, ServiceItem
from departments.services.demo import demo_load
from payments.constants import PaymentState
from payments.models import Payment

PHONE_WIDTH, PHONE_HEIGHT = 390, 844  # a common phone's viewport in CSS pixels
# A rare character outside the Basic Multilingual Plane: stored and shown whole.
PERSON_NAME = "𠮷思远"
PERSON_PHONE = "13987650018"
FEE_ITEM = "A003"  # 食品经营许可（餐饮服务）核发; free in the demo, as in reality
FEE = Decimal("50.00")
BUNDLE = "OPEN_RESTAURANT"
# What the citizen's case page calls an accepted case and the states after it.
ACCEPTED_STAGES = (
    "已收到申请",
    "部门审批中",
    "已作出决定",
    "结果待领取或寄出",
    "结果已寄出",
    "已办结",
)


def _png() -> bytes:
    """A valid 1×1 white PNG (a photo of a paper material)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _pdf() -> bytes:
    """A valid one-page PDF with its cross-reference table (a scanned material)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def phone(browser):
    """The shared browser at a phone's size, given back at the size it had."""
    previous = browser.get_window_size()
    browser.set_window_size(PHONE_WIDTH, PHONE_HEIGHT)
    try:
        browser.delete_all_cookies()
        yield browser
    finally:
        browser.set_window_size(previous["width"], previous["height"])


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(_pdf())
    png = tmp_path / "photo.png"
    png.write_bytes(_png())
    return [pdf, png]


@pytest.fixture
def stranger(db) -> dict[str, str]:
    """The demo catalogue with one fee, a new person in the population registry, and a
    company the legal-person registry names them the legal representative of."""
    demo_load(force=True)
    assert ServiceItem.objects.filter(code=FEE_ITEM).update(fee=FEE) == 1
    id_number = make_resident_id(region="510104", birth_date=dt.date(1988, 6, 1), sequence=917)
    assert not RegistryRecord.objects.filter(subject_id=id_number).exists()
    RegistryRecord.objects.create(
        registry=Registry.objects.get(code="POPULATION"),
        subject_id=id_number,
        data={
            "name": PERSON_NAME,
            "gender": "男",
            "birth_date": "1988-06-01",
            "address": "四川省成都市锦江区春熙路1号",
            "phone": "13000000000",
            "marital_status": "未婚",
            "status": "正常",
            "hukou_city": "成都市",
        },
    )
    company = (
        RegistryRecord.objects.filter(registry__code="LEGAL_PERSON", data__status="存续")
        .order_by("subject_id")
        .first()
    )
    company.data = {
        **company.data,
        "legal_representative": PERSON_NAME,
        "legal_representative_id": id_number,
    }
    company.save(update_fields=["data"])
    backend = sms_backend()
    assert isinstance(backend, ConsoleSmsBackend)
    backend.sent.clear()
    return {
        "id_number": id_number,
        "credit_code": company.subject_id,
        "company": company.data["name"],
    }


def _click(browser: WebDriver, element: WebElement) -> None:
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def _main(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def _fits_the_screen(browser: WebDriver) -> bool:
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def _submit_and_wait(browser: WebDriver, button: WebElement) -> None:
    """Press a button (or link) that loads a new page, and wait until the new page has
    loaded: the old page is marked, and the mark is gone once it was replaced. (Asking
    whether the pressed element went stale races the navigation in Chromium.)"""
    browser.execute_script("window.oneWindowOldPage = true")
    _click(browser, button)
    WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: driver.execute_script(
            "return !window.oneWindowOldPage && document.readyState === 'complete'"
        )
    )


def _find_and_read_the_guide(browser: WebDriver, base: str) -> None:
    browser.get(f"{base}/")
    assert "您要办什么事？" in _main(browser)
    search = browser.find_element(By.ID, "guide-search")
    search.send_keys("开餐馆")
    _submit_and_wait(browser, search.find_element(By.XPATH, "./following-sibling::button"))
    results = browser.find_element(By.ID, "search-results")
    assert "“开餐馆”的搜索结果" in results.text
    card = results.find_element(By.CSS_SELECTOR, f"#result-bundles [data-bundle={BUNDLE}]")
    assert "我要开餐馆" in card.text
    assert _fits_the_screen(browser)
    _submit_and_wait(browser, card)

    assert browser.current_url.endswith(f"/guide/bundles/{BUNDLE}/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "我要开餐馆"
    assert browser.find_element(By.ID, "fee").text == "收费50.00元"
    fee_line = browser.find_element(By.CSS_SELECTOR, f"#bundle-items [data-item={FEE_ITEM}]")
    assert "食品经营许可" in fee_line.text and "收费50.00元" in fee_line.text
    materials = browser.find_element(By.ID, "materials").text
    for name in ("租赁合同", "平面布局图"):
        assert name in materials, name
    assert "政府已掌握，无需提交" in materials
    assert _fits_the_screen(browser)
    browser.save_screenshot("/tmp/stranger-guide-bundle.png")
    _submit_and_wait(browser, browser.find_element(By.ID, "apply-online"))


def _sign_up(browser: WebDriver, stranger: dict[str, str]) -> None:
    # Not signed in: "网上办理" leads to the sign-in page, which offers the sign-up.
    assert browser.current_url.endswith("/me/sign-in/")
    assert "登录「我的」" in _main(browser)
    _submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "第一次使用？实名注册"))
    assert "实名注册" in _main(browser)
    browser.find_element(By.NAME, "name").send_keys(PERSON_NAME)
    browser.find_element(By.NAME, "id_number").send_keys(stranger["id_number"])
    browser.find_element(By.NAME, "phone").send_keys(PERSON_PHONE)
    _submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.card button"))

    assert "验证码已发送到尾号 0018 的手机。" in _main(browser)
    backend = sms_backend()
    WebDriverWait(browser, 20).until(
        lambda _driver: any(to == PERSON_PHONE for to, _message in backend.sent)
    )
    message = [text for to, text in backend.sent if to == PERSON_PHONE][-1]
    assert "注册验证码" in message
    code = re.search(r"(\d{6})", message).group(1)
    browser.find_element(By.NAME, "code").send_keys(code)
    _submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.card button"))

    assert browser.current_url.endswith("/me/")
    page = _main(browser)
    assert "注册成功，已通过实名核验。" in page
    assert "𠮷*远" in page  # the masked name, the rare character whole


def _act_for_the_company(browser: WebDriver, stranger: dict[str, str]) -> None:
    _submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "单位办事"))
    assert "以单位名义办事" in _main(browser)
    browser.find_element(By.NAME, "credit_code").send_keys(stranger["credit_code"])
    form = browser.find_element(By.CSS_SELECTOR, "form[action$='/me/organisations/act-for/']")
    _submit_and_wait(browser, form.find_element(By.TAG_NAME, "button"))
    assert f"您正在以「{stranger['company']}」的名义办事。" in _main(browser)


def _choose_the_bundle(browser: WebDriver) -> None:
    _submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "网上办理"))
    assert "企业办事：按企业生命周期查找" in _main(browser)
    search = browser.find_element(By.CSS_SELECTOR, "main form[role=search] input[name=q]")
    search.send_keys("开餐馆")
    _submit_and_wait(browser, search.find_element(By.XPATH, "../button"))
    bundle = browser.find_element(By.CSS_SELECTOR, f"#bundles [data-bundle={BUNDLE}]")
    assert "我要开餐馆" in bundle.text
    assert _fits_the_screen(browser)
    _submit_and_wait(browser, browser.find_element(By.ID, f"apply-bundle-{BUNDLE}"))


@contextlib.contextmanager
def _no_implicit_wait(browser: WebDriver) -> Iterator[None]:
    """Looking for what should *not* be there: without this, each miss waits the
    fixture's implicit wait out."""
    previous = browser.timeouts.implicit_wait
    browser.implicitly_wait(0)
    try:
        yield
    finally:
        browser.implicitly_wait(previous)


def _missing_rows(browser: WebDriver) -> list[WebElement]:
    """The checklist's rows still asked for (required, not on file, not uploaded)."""
    with _no_implicit_wait(browser):
        return browser.find_elements(
            By.CSS_SELECTOR,
            "#checklist [data-material]:has(.badge.text-bg-warning):has(input[type=file])",
        )


def _upload_what_is_asked(browser: WebDriver, scans: list[Path]) -> list[str]:
    """Upload a scan for each material the checklist still asks for, one page load each;
    returns the codes uploaded."""
    uploaded: list[str] = []
    while rows := _missing_rows(browser):
        row = rows[0]
        code = row.get_attribute("data-material")
        assert code not in uploaded, f"{code} is still asked for after its upload"
        name = row.find_element(By.CSS_SELECTOR, ".fw-semibold").text
        scan = scans[len(uploaded) % len(scans)]
        row.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(scan))
        _submit_and_wait(browser, row.find_element(By.CSS_SELECTOR, "form button"))
        assert f"已收到「{name}」。" in _main(browser)
        status = browser.find_element(By.ID, f"material-{code}").get_attribute("data-status")
        assert status == "uploaded", (code, status)
        uploaded.append(code)
    return uploaded


def _apply_online(browser: WebDriver, scans: list[Path]) -> str:
    WebDriverWait(browser, 20).until(conditions.presence_of_element_located((By.ID, "checklist")))
    tracking_no = browser.find_element(By.ID, "tracking-no").text
    summary = browser.find_element(By.ID, "apply-summary").text
    assert "我要开餐馆" in summary and "政府部门已有，不用您提交" in summary
    statuses = {
        row.get_attribute("data-material"): row.get_attribute("data-status")
        for row in browser.find_elements(By.CSS_SELECTOR, "#checklist [data-material]")
    }
    # The company's licence is read from the registry, the name approval is produced in
    # this very case: neither is asked for.
    assert statuses["BUSINESS_LICENCE"] == "verified"
    assert statuses["NAME_APPROVAL"] == "produced_in_case"
    assert _fits_the_screen(browser)
    uploaded = _upload_what_is_asked(browser, scans)
    assert uploaded and not {"BUSINESS_LICENCE", "NAME_APPROVAL"} & set(uploaded)
    browser.save_screenshot("/tmp/stranger-checklist.png")
    _submit_and_wait(browser, browser.find_element(By.ID, "submit-application"))

    assert browser.current_url.endswith(f"/me/cases/{tracking_no}/")
    page = _main(browser)
    assert f"申请已提交并受理，办件编号 {tracking_no}，无需到现场。" in page
    assert browser.find_element(By.CSS_SELECTOR, "[data-stage]").text in ACCEPTED_STAGES
    assert "本件您到现场 0 次" in page
    return tracking_no


def _pay(browser: WebDriver, tracking_no: str) -> None:
    # Every item of the bundle is decided automatically; the unpaid fee alone holds the
    # case in review.
    assert browser.find_element(By.CSS_SELECTOR, "[data-stage]").text == "部门审批中"
    panel = browser.find_element(By.ID, "fee-panel")
    assert "本件收费 50.00 元" in panel.text and "待缴费" in panel.text
    assert panel.get_attribute("data-payment-state") == PaymentState.PENDING
    _submit_and_wait(browser, browser.find_element(By.ID, "pay-online"))

    assert "/payments/dev/" in browser.current_url
    gateway = browser.find_element(By.ID, "dev-payment").text
    assert f"办件 {tracking_no} · 应缴 50.00 元" in gateway
    assert _fits_the_screen(browser)
    _submit_and_wait(browser, browser.find_element(By.ID, "dev-pay"))

    assert browser.current_url.endswith(f"/me/cases/{tracking_no}/")
    assert "缴费成功。" in _main(browser)
    panel = browser.find_element(By.ID, "fee-panel")
    assert panel.get_attribute("data-payment-state") == PaymentState.PAID
    assert browser.find_element(By.ID, "fee-state").text == "已缴费"
    with _no_implicit_wait(browser):
        assert not browser.find_elements(By.ID, "pay-online")
    # Paid, the case concludes: approved, its results ready to collect or be sent.
    assert browser.find_element(By.CSS_SELECTOR, "[data-stage]").text == "结果待领取或寄出"
    assert _fits_the_screen(browser)
    browser.save_screenshot("/tmp/stranger-paid.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_stranger_opens_a_restaurant_online_on_a_phone(live_server, phone, stranger, scans):
    browser = phone
    _find_and_read_the_guide(browser, live_server.url)
    _sign_up(browser, stranger)
    _act_for_the_company(browser, stranger)
    _choose_the_bundle(browser)
    tracking_no = _apply_online(browser, scans)
    _pay(browser, tracking_no)

    person = Applicant.objects.get(id_number=stranger["id_number"])
    assert person.name == PERSON_NAME  # the rare character stored whole
    verified = VerifiedPhone.objects.get(applicant=person)
    assert verified.phone == PERSON_PHONE
    assert verified.verification.purpose == "实名核验（网上注册）"
    assert verified.verification.outcome == VerificationOutcome.OK
    company = Applicant.objects.get(id_number=stranger["credit_code"])
    assert company.legal_representative == PERSON_NAME
    case = Case.objects.get()
    assert case.tracking_no == tracking_no
    assert case.channel == Channel.ONLINE and case.applicant == company
    assert case.bundle.code == BUNDLE
    assert case.accepted_at is not None
    assert case.state in (CaseState.APPROVED, CaseState.ISSUED)
    assert case.certificates.exists()
    assert not Visit.objects.filter(case=case).exists()
    payment = Payment.objects.get(case=case)
    assert payment.state == PaymentState.PAID and payment.amount == FEE
