"""The window pages, through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.constants import CaseState, MaterialStatus
from cases.models import Case, CaseEvent, CaseMaterial, Visit
from cases.services.intake import intake_start
from departments.constants import Role
from tests.cases.services.intake_catalogue import build_catalogue
from tests.factories import StaffFactory
from tests.sign_in import sign_in

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def window(client, clerk):
    sign_in(client, clerk)
    return client


def _start(window, catalogue, **data):
    form = {
        "id_type": "resident_id",
        "id_number": catalogue.person_id,
        "channel": "window",
        "applicant_present": "on",
        "items": ["X001"],
        "bundle": "",
        "idempotency_key": "k-" + data.pop("key", "one"),
    }
    form.update(data)
    return window.post("/window/intake/", form)


def test_the_window_needs_a_login_and_a_window_role(client, catalogue):
    response = client.get("/window/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    sign_in(client, StaffFactory(role=Role.REVIEWER, department=catalogue.department))
    assert client.get("/window/").status_code == 403
    assert client.get("/window/intake/").status_code == 403


def test_the_base_layout_serves_bootstrap_and_htmx_locally(window, catalogue):
    html = window.get("/window/intake/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert any("vendor/bootstrap/bootstrap.min.css" in source for source in sources)
    assert any("vendor/htmx/htmx.min.js" in source for source in sources)
    assert all(
        source.startswith(settings.STATIC_URL) or source.startswith("/") for source in sources
    )
    assert "cdn" not in html.lower()
    for path in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
    ):
        assert finders.find(path), path
    assert 'name="language"' in html  # the language switch


def test_the_page_is_chinese_by_default_and_english_on_request(window, catalogue):
    assert "新建受理" in window.get("/window/intake/").content.decode()
    window.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = window.get("/window/intake/").content.decode()
    assert "New application" in html and "新建受理" not in html


def test_the_catalogue_search_filters_items_and_bundles(window, catalogue):
    html = window.get("/window/intake/catalogue/", {"q": "卫生"}).content.decode()
    assert 'value="X003"' in html and 'value="X001"' not in html
    kept = window.get(
        "/window/intake/catalogue/", {"q": "卫生", "items": ["X001"]}
    ).content.decode()
    assert re.search(r'value="X001"\s+checked', kept)  # a ticked item is never lost to a search
    assert "我要开店" in window.get("/window/intake/catalogue/", {"q": "开店"}).content.decode()


def test_starting_an_intake_opens_the_checklist_with_status_and_source(window, catalogue):
    response = _start(window, catalogue)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/window/cases/{case.tracking_no}/"
    html = window.get(response["Location"]).content.decode()
    assert "人口基础信息库 核验通过" in html  # the source of the verified ID card
    assert 'data-material="LEASE" data-status="missing"' in html
    assert 'value="𠮷祥"' in html  # prefilled name, outside the BMP, whole
    assert Visit.objects.filter(case=case).count() == 1


def test_a_double_clicked_start_makes_one_case(window, catalogue):
    first = _start(window, catalogue, key="same")
    second = _start(window, catalogue, key="same")
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


def test_bad_input_is_shown_on_the_form_and_changes_nothing(window, catalogue):
    response = _start(window, catalogue, id_number="510104198001010011")
    assert response.status_code == 200
    assert "校验码错误" in response.content.decode()
    response = _start(window, catalogue, items=[])
    assert "请至少选择一个事项或一件事" in response.content.decode()
    assert not Case.objects.exists()


def test_upload_decline_and_the_one_time_notice(window, catalogue, clerk):
    case = intake_start(
        id_type="resident_id", id_number=catalogue.person_id, bundle_code="OPEN_SHOP", user=clerk
    ).case
    base = f"/window/cases/{case.tracking_no}/"
    window.post(
        base + "materials/", {"material_type": "LEASE", "file": SimpleUploadedFile("l.pdf", PDF)}
    )
    assert CaseMaterial.objects.get(case=case, material_type__code="LEASE").status == (
        MaterialStatus.UPLOADED
    )
    bad = window.post(
        base + "materials/",
        {"material_type": "PLAN", "file": SimpleUploadedFile("p.pdf", b"GIF89a...")},
        follow=True,
    )
    assert "只接受 PDF、JPEG 或 PNG" in bad.content.decode()
    window.post(base + "materials/ID_CARD/decline/")
    assert CaseEvent.objects.filter(case=case, name="evidence_declined").exists()
    response = window.post(base + "submit/")
    assert response["Location"] == base + "notice/"
    html = window.get(base + "notice/").content.decode()
    assert "补正材料一次性告知书" in html
    assert "居民身份证" in html and "平面布局图" in html
    assert "《食品安全法》第三十五条" in html
    assert "<svg" in html
    assert Case.objects.get(pk=case.pk).state == CaseState.PENDING_MATERIALS


def test_a_complete_case_is_accepted_and_the_receipt_has_number_date_items_and_qr(
    window, catalogue, clerk
):
    case = intake_start(
        id_type="resident_id", id_number=catalogue.person_id, item_codes=["X001"], user=clerk
    ).case
    base = f"/window/cases/{case.tracking_no}/"
    assert window.get(base + "receipt/").status_code == 302  # no receipt before acceptance
    window.post(
        base + "materials/", {"material_type": "LEASE", "file": SimpleUploadedFile("l.pdf", PDF)}
    )
    response = window.post(base + "submit/")
    assert response["Location"] == base + "receipt/"
    case.refresh_from_db()
    html = window.get(base + "receipt/").content.decode()
    assert case.tracking_no in html
    assert case.due_date.isoformat() in html
    assert "X001 设立登记" in html
    assert "<svg" in html and f"/track/{case.tracking_no}/" in html


def test_the_queue_shows_todays_cases_masked(window, catalogue, clerk):
    case = intake_start(
        id_type="resident_id", id_number=catalogue.person_id, item_codes=["X001"], user=clerk
    ).case
    html = window.get("/window/").content.decode()
    assert case.tracking_no in html
    assert catalogue.person_id not in html
    assert case.applicant.masked_id_number in html
    assert (
        case.tracking_no in window.get("/window/", {"q": catalogue.person_id[-4:]}).content.decode()
    )


def test_the_queue_runs_a_fixed_number_of_queries(
    window, catalogue, clerk, django_assert_max_num_queries
):
    for _ in range(5):
        intake_start(
            id_type="resident_id", id_number=catalogue.person_id, item_codes=["X001"], user=clerk
        )
    with django_assert_max_num_queries(12):
        window.get("/window/")


def test_the_applicant_and_form_fields_can_be_corrected(window, catalogue, clerk):
    case = intake_start(
        id_type="resident_id", id_number=catalogue.person_id, item_codes=["X001"], user=clerk
    ).case
    base = f"/window/cases/{case.tracking_no}/"
    # A name and address other than the registry's need a reason
    # (tests/cases/test_registry_override.py).
    window.post(
        base + "applicant/",
        {
            "name": "𠮷祥改",
            "phone": "13900000009",
            "address": "武侯区",
            "override_reason": "申请人已更名并迁居，户籍信息尚未更新",
        },
    )
    window.post(base + "forms/", {"X001__proposed_name": "成都𠮷祥餐饮有限公司"})
    case.refresh_from_db()
    case.applicant.refresh_from_db()
    assert case.applicant.name == "𠮷祥改"
    assert case.form_data["X001"]["proposed_name"] == "成都𠮷祥餐饮有限公司"
    response = window.post(base + "applicant/", {"name": "", "phone": "", "address": ""})
    assert response.status_code == 200  # the form comes back with its error
    assert Case.objects.get(pk=case.pk).applicant.name == "𠮷祥改"


def test_the_intake_catalogue_shows_an_items_fee(window, catalogue):
    from decimal import Decimal

    from departments.models import ServiceItem

    ServiceItem.objects.filter(code="X003").update(fee=Decimal("35.00"))
    html = window.get("/window/intake/catalogue/", {"q": "卫生"}).content.decode()
    assert "收费35.00元" in html
    assert "收费0" not in html  # a free item says nothing
