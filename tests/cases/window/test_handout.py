"""The window's hand-out pages (综合窗口出件), through Django's test client."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from cases.constants import ApprovalState, CaseState, Channel, DeliveryStatus, VisitReason
from cases.models import CaseEvent, Delivery, Visit
from cases.services.delivery import webhook_signature
from departments.constants import Role
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CertificateFactory,
    DepartmentFactory,
    StaffFactory,
    UserFactory,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

SIGNED_PDF = b"%PDF-1.7\n% a signed certificate stand-in\n1 0 obj <<>> endobj\n%%EOF\n"
SECRET = "ems-window-secret"
PARCEL = {
    "courier": "EMS",
    "waybill": "EE123456785CN",
    "recipient": "张𠮷三",
    "phone": "13800138000",
    "province": "四川省",
    "city": "成都市",
    "district": "锦江区",
    "street": "春熙路街道",
    "detail": "红星路三段1号2栋3单元401",
    "postal_code": "610021",
}


@pytest.fixture
def window(client, clerk):
    sign_in(client, clerk)
    return client


def _result_case(state=CaseState.ISSUED, *, with_pdf=True):
    case = CaseFactory(state=state, channel=Channel.WINDOW, concluded_at=timezone.now())
    certificate = CertificateFactory(case=case, holder=case.applicant)
    if with_pdf:
        certificate.pdf.save(f"{certificate.number}.pdf", ContentFile(SIGNED_PDF), save=True)
    return case, certificate


def _denied_case():
    case = CaseFactory(state=CaseState.DENIED, concluded_at=timezone.now())
    ApprovalFactory(
        case=case,
        state=ApprovalState.REJECTED,
        decision_note="经营场所位于居民住宅楼内，不符合《食品经营许可管理办法》第十二条。",
        decided_at=timezone.now(),
    )
    return case


def _url(case, suffix=""):
    return f"/window/cases/{case.tracking_no}/{suffix}"


# --- the queue ---


def test_the_queue_lists_what_to_hand_out_most_urgent_first(window):
    approved, _ = _result_case(CaseState.APPROVED)
    denied = _denied_case()
    came_back = CaseFactory(state=CaseState.ISSUED)
    Delivery.objects.create(
        case=came_back,
        courier="EMS",
        waybill="EE123456785CN",
        recipient="张三",
        phone="13800138000",
        street_address="红星路1号",
        status=DeliveryStatus.FAILED,
    )
    closed = CaseFactory(state=CaseState.CLOSED)
    in_review = CaseFactory(state=CaseState.IN_REVIEW)
    html = window.get("/window/").content.decode()
    section = html[html.index('id="handout-queue"') : html.index('id="queue"')]
    for case in (approved, denied, came_back):
        assert f'data-case="{case.tracking_no}"' in section
    for case in (closed, in_review):
        assert case.tracking_no not in section
    # The parcel that came back first and marked so; results before denials.
    assert section.index(came_back.tracking_no) < section.index(approved.tracking_no)
    assert section.index(approved.tracking_no) < section.index(denied.tracking_no)
    assert f'data-case="{came_back.tracking_no}" data-state="ISSUED" data-returned="1"' in section
    assert "寄递失败退回窗口" in section


# --- the hand-out page ---


def test_the_hand_out_page_shows_certificates_visits_and_both_actions(window):
    case, certificate = _result_case()
    Visit.objects.create(case=case, reason=VisitReason.INTAKE)
    html = window.get(_url(case, "handout/")).content.decode()
    assert certificate.number in html
    assert f"/verify/{certificate.verification_token}/" in html
    assert f"/window/cases/{case.tracking_no}/certificates/{certificate.pk}/pdf/" in html
    assert "到窗口 1 次" in html and "窗口申请" in html and "最多跑一次" in html
    assert 'id="collect"' in html and 'id="courier"' in html
    assert 'name="waybill"' in html and 'name="district"' in html


def test_pick_up_records_exactly_one_visit_and_closes_the_case(window, clerk):
    case, _ = _result_case()
    response = window.post(
        _url(case, "handout/collect/"),
        {"collected_by": "张𠮷三", "by_applicant": "1", "id_checked": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.closed_at is not None
    visit = Visit.objects.get(case=case)
    assert visit.reason == VisitReason.COLLECT and visit.clerk == clerk
    assert "张𠮷三" in visit.note  # a name outside the BMP, whole
    html = window.get(response["Location"]).content.decode()
    assert "到窗口 1 次" in html and "办件已办结" in html


def test_an_approved_case_is_issued_then_collected(window):
    case, _ = _result_case(CaseState.APPROVED)
    response = window.post(
        _url(case, "handout/collect/"),
        {"collected_by": "李四", "by_applicant": "0", "id_checked": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    names = list(CaseEvent.objects.filter(case=case).values_list("name", flat=True))
    assert names == ["issue", "collect"]
    assert "受托人领取：李四" in Visit.objects.get(case=case).note


def test_pick_up_without_the_id_check_changes_nothing(window):
    case, _ = _result_case(CaseState.APPROVED)
    response = window.post(
        _url(case, "handout/collect/"), {"collected_by": "", "by_applicant": "1"}
    )
    assert response.status_code == 400
    form = response.context["collect_form"]
    assert form.errors["collected_by"] == ["请填写领取人姓名。"]
    assert form.errors["id_checked"] == ["请先核验领取人的身份证件。"]
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert not Visit.objects.exists() and not CaseEvent.objects.filter(case=case).exists()


def test_courier_form_errors_are_per_field_and_change_nothing(window):
    case, _ = _result_case(CaseState.APPROVED)
    bad = {
        **PARCEL,
        "waybill": "EE123456784CN",
        "phone": "12345",
        "district": "",
        "postal_code": "61",
    }
    response = window.post(_url(case, "handout/courier/"), bad)
    assert response.status_code == 400
    errors = response.context["courier_form"].errors
    assert set(errors) == {"waybill", "phone", "district", "postal_code"}
    assert "校验" in errors["waybill"][0]
    assert errors["district"] == ["请填写区县。"]
    assert errors["postal_code"] == ["邮编应为6位数字。"]
    html = response.content.decode()
    assert "请填写区县。" in html and 'value="红星路三段1号2栋3单元401"' in html  # input kept
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED  # not even issued
    assert not Delivery.objects.exists() and not CaseEvent.objects.filter(case=case).exists()


def _webhook(client, delivery, *, status, event_id, **extra):
    body = json.dumps(
        {
            "event_id": event_id,
            "waybill": delivery.waybill,
            "status": status,
            "occurred_at": timezone.now().isoformat(),
            **extra,
        }
    ).encode()
    timestamp = str(int(time.time()))
    return client.post(
        "/api/v1/deliveries/webhook/",
        data=body,
        content_type="application/json",
        HTTP_X_ONEWINDOW_COURIER="EMS",
        HTTP_X_ONEWINDOW_TIMESTAMP=timestamp,
        HTTP_X_ONEWINDOW_SIGNATURE=webhook_signature(secret=SECRET, timestamp=timestamp, body=body),
    )


def test_a_delivery_is_created_and_a_failed_one_comes_back_to_the_queue(
    window, client, settings, django_capture_on_commit_callbacks
):
    settings.COURIER_WEBHOOK_SECRETS = {"EMS": SECRET}
    case, _ = _result_case(CaseState.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        response = window.post(_url(case, "handout/courier/"), PARCEL)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_DELIVERY
    delivery = Delivery.objects.get(case=case)
    assert (delivery.waybill, delivery.recipient, delivery.district) == (
        "EE123456785CN",
        "张𠮷三",
        "锦江区",
    )
    html = window.get(_url(case, "handout/")).content.decode()
    assert 'data-delivery="EE123456785CN" data-status="created"' in html
    assert "寄递中" in html and 'id="collect"' not in html
    assert case.tracking_no not in window.get("/window/").content.decode().split('id="queue"')[0]

    assert _webhook(client, delivery, status="shipped", event_id="e-1").status_code == 200
    answer = _webhook(
        client, delivery, status="failed", event_id="e-2", reason="收件人电话无人接听"
    )
    assert answer.status_code == 200, answer.content
    case.refresh_from_db()
    assert case.state == CaseState.ISSUED  # back at the window, nothing lost
    queue = window.get("/window/").content.decode()
    assert f'data-case="{case.tracking_no}" data-state="ISSUED" data-returned="1"' in queue
    page = window.get(_url(case, "handout/")).content.decode()
    assert 'id="came-back"' in page and "收件人电话无人接听" in page
    assert 'data-event="e-1"' in page and 'data-event="e-2"' in page
    assert 'id="collect"' in page and 'id="courier"' in page  # both actions again
    # Handed over at the window after all: the one and only visit.
    window.post(
        _url(case, "handout/collect/"),
        {"collected_by": "张𠮷三", "by_applicant": "1", "id_checked": "on"},
    )
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and Visit.objects.filter(case=case).count() == 1


# --- the denial ---


def test_the_denial_notice_prints_the_reasons_and_is_handed_out(window, clerk):
    case = _denied_case()
    page = window.get(_url(case, "handout/")).content.decode()
    assert 'id="denial"' in page and 'id="courier"' not in page
    notice = window.get(_url(case, "denial/")).content.decode()
    assert "不予批准决定书" in notice and "不符合《食品经营许可管理办法》第十二条" in notice
    assert "行政复议" in notice
    response = window.post(_url(case, "denial/handed-out/"), {"how": "window", "note": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert Visit.objects.get(case=case).reason == VisitReason.COLLECT


def test_a_denial_notified_needs_how_and_when(window):
    case = _denied_case()
    response = window.post(_url(case, "denial/handed-out/"), {"how": "notified", "note": ""})
    assert response.status_code == 400
    assert "note" in response.context["denial_form"].errors
    case.refresh_from_db()
    assert case.state == CaseState.DENIED
    window.post(_url(case, "denial/handed-out/"), {"how": "notified", "note": "6月1日电话告知本人"})
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and not Visit.objects.filter(case=case).exists()
    event = CaseEvent.objects.get(case=case, name="notify")
    assert event.note == "6月1日电话告知本人" and event.data == {"how": "notified"}


# --- who may ---


@pytest.mark.parametrize("who", ["reviewer", "citizen", "supervisor"])
def test_other_roles_cannot_open_the_hand_out_pages(client, who):
    case, certificate = _result_case()
    denied = _denied_case()
    users = {
        "reviewer": lambda: StaffFactory(role=Role.REVIEWER, department=DepartmentFactory()),
        "citizen": lambda: UserFactory(is_staff=False),
        "supervisor": lambda: StaffFactory(role=Role.SUPERVISOR),
    }
    sign_in(client, users[who]())
    assert client.get(_url(case, "handout/")).status_code == 403
    assert client.get(_url(case, f"certificates/{certificate.pk}/pdf/")).status_code == 403
    assert client.get(_url(denied, "denial/")).status_code == 403
    response = client.post(
        _url(case, "handout/collect/"),
        {"collected_by": "张三", "by_applicant": "1", "id_checked": "on"},
    )
    assert response.status_code == 403
    assert client.post(_url(case, "handout/courier/"), PARCEL).status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.ISSUED and not Visit.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    case, certificate = _result_case()
    for path in (_url(case, "handout/"), _url(case, f"certificates/{certificate.pk}/pdf/")):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_signed_pdf_opens_for_window_staff_only_and_only_through_its_case(
    window, agent, client
):
    case, certificate = _result_case()
    response = window.get(_url(case, f"certificates/{certificate.pk}/pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")  # opened to print
    assert b"".join(response.streaming_content) == SIGNED_PDF  # the same signed file
    assert response["Cache-Control"] == "private, no-store"
    download = window.get(_url(case, f"certificates/{certificate.pk}/pdf/"), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment")
    other, _ = _result_case()
    assert window.get(_url(other, f"certificates/{certificate.pk}/pdf/")).status_code == 404
    unsigned_case, unsigned = _result_case(with_pdf=False)
    assert window.get(_url(unsigned_case, f"certificates/{unsigned.pk}/pdf/")).status_code == 404
    client.force_login(agent)  # a village agent applies and follows; it hands nothing out
    assert client.get(_url(case, f"certificates/{certificate.pk}/pdf/")).status_code == 403


def test_the_hand_out_page_is_english_on_request(window, settings):
    case, _ = _result_case()
    window.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = window.get(_url(case, "handout/")).content.decode()
    assert "窗口领取" not in html and "快递寄送" not in html
