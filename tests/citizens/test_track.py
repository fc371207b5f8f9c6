"""Public tracking: /track/ and GET /api/v1/track/<tracking_no>/?id_suffix=XXXX (docs/architecture.md §6)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from cases.constants import ApprovalState, CaseState, EventKind, MaterialStatus
from cases.models import CaseEvent
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    DeliveryFactory,
    MaterialTypeFactory,
)

from .conftest import OWNER_ID

SUFFIX = OWNER_ID[-4:]
UNKNOWN_NUMBER = "260101ABCDEFGH"


@pytest.fixture
def api():
    return APIClient()


def api_get(api, tracking_no, suffix, **extra):
    return api.get(reverse("api:track", args=[tracking_no]), {"id_suffix": suffix}, **extra)


def page_post(client, tracking_no, suffix, **extra):
    return client.post(
        reverse("citizens:track"), {"tracking_no": tracking_no, "id_suffix": suffix}, **extra
    )


@pytest.fixture
def tracked_case(owner_case, item):
    approval = ApprovalFactory(
        case=owner_case,
        item=item,
        state=ApprovalState.IN_REVIEW,
        due_date=dt.date(2026, 12, 4),
    )
    CaseEvent.objects.create(
        case=owner_case, kind=EventKind.TRANSITION, name="accept", note="窗口受理", is_public=True
    )
    CaseEvent.objects.create(
        case=owner_case,
        approval=approval,
        kind=EventKind.NOTE,
        name="internal_note",
        note="内部意见：核查申请人征信",
        is_public=False,
    )
    return owner_case


def test_api_right_suffix_answers_the_contract(api, tracked_case):
    response = api_get(api, tracked_case.tracking_no, SUFFIX)
    assert response.status_code == 200
    body = response.json()
    assert {
        "tracking_no",
        "state",
        "items",
        "timeline",
        "missing",
        "delivery",
        "certificates",
    } <= set(body)
    assert body["tracking_no"] == tracked_case.tracking_no
    assert body["state"] == "IN_REVIEW"
    assert body["stage"] == "under_review"
    assert body["stage_display"] == "部门审批中"
    assert body["items"] == [
        {
            "code": "I002",
            "name": "二孩生育登记",
            "department": "成都市卫生健康委员会",
            "approval_state": "IN_REVIEW",
            "approval_state_display": "审查中",
            "due_date": "2026-12-04",
        }
    ]
    assert body["delivery"] is None
    assert body["certificates"] == []


def test_page_right_suffix_shows_plain_words_and_items(client, tracked_case):
    response = page_post(client, tracked_case.tracking_no, SUFFIX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "部门审批中" in html
    assert "有关部门正在同时审批您的申请。" in html
    assert "二孩生育登记" in html and "成都市卫生健康委员会" in html
    assert "2026-12-04" in html
    assert response.headers["Cache-Control"] == "no-store, private"


def test_suffix_is_case_insensitive_and_number_may_have_spaces(api, owner, item):
    case = CaseFactory(applicant=owner, state=CaseState.SUBMITTED, items=[item])
    owner.id_number = "11010119900307002X"
    owner.save()
    spaced = f" {case.tracking_no[:6]} {case.tracking_no[6:].lower()} "
    assert api_get(api, spaced, "002x").status_code == 200


def test_only_public_events_are_in_the_timeline(api, client, tracked_case):
    body = api_get(api, tracked_case.tracking_no, SUFFIX).json()
    notes = [event["note"] for event in body["timeline"]]
    assert "窗口受理" in notes
    assert "内部意见：核查申请人征信" not in notes
    assert [event["event"] for event in body["timeline"]] == ["受理"]
    html = page_post(client, tracked_case.tracking_no, SUFFIX).content.decode()
    assert "窗口受理" in html
    assert "核查申请人征信" not in html


def test_wrong_suffix_answers_byte_for_byte_like_an_unknown_number(api, client, tracked_case):
    wrong = api_get(api, tracked_case.tracking_no, "9999")
    unknown = api_get(api, UNKNOWN_NUMBER, SUFFIX)
    malformed = api_get(api, "not-a-number", SUFFIX)
    assert wrong.status_code == unknown.status_code == malformed.status_code == 404
    assert wrong.content == unknown.content == malformed.content
    assert wrong.json() == {"detail": "未找到该办件，请核对办件编号和证件号码后四位。"}
    # Alike but for each answer's own request id (operations/request_id.py).
    assert wrong.headers.pop("X-Request-ID") != unknown.headers.pop("X-Request-ID")
    assert sorted(wrong.headers.items()) == sorted(unknown.headers.items())

    wrong_page = page_post(client, tracked_case.tracking_no, "9999")
    unknown_page = page_post(client, UNKNOWN_NUMBER, SUFFIX)
    assert wrong_page.status_code == unknown_page.status_code == 404
    assert wrong_page.content == unknown_page.content
    assert "未找到该办件" in wrong_page.content.decode()
    assert tracked_case.tracking_no not in wrong_page.content.decode()


def test_wrong_suffix_and_unknown_number_cost_the_same_queries(api, tracked_case):
    """Similar timing: both paths run the same single indexed lookup, then count the
    failure (on PostgreSQL the throttle check is part of the lookup's statement)."""
    with CaptureQueriesContext(connection) as wrong:
        api_get(api, tracked_case.tracking_no, "9999")
    with CaptureQueriesContext(connection) as unknown:
        api_get(api, UNKNOWN_NUMBER, SUFFIX)
    expected = 2 if connection.vendor == "postgresql" else 3
    assert len(wrong.captured_queries) == len(unknown.captured_queries) == expected


@pytest.mark.parametrize("suffix", ["", "12", "12345"])
def test_api_without_a_four_character_suffix_is_a_400_naming_the_field(api, tracked_case, suffix):
    response = api_get(api, tracked_case.tracking_no, suffix)
    assert response.status_code == 400
    assert response.json() == {"id_suffix": ["请提供证件号码的最后四位（id_suffix）。"]}


def test_repeated_failures_are_throttled_for_page_and_api_together(
    api, client, tracked_case, settings
):
    settings.TRACK_FAILURE_LIMIT = 4
    assert api_get(api, UNKNOWN_NUMBER, SUFFIX).status_code == 404
    assert page_post(client, UNKNOWN_NUMBER, SUFFIX).status_code == 404
    assert api_get(api, tracked_case.tracking_no, "0000").status_code == 404
    assert page_post(client, tracked_case.tracking_no, "0000").status_code == 404
    # The fifth try, even with the right suffix, is refused: numbers cannot be guessed.
    blocked = api_get(api, tracked_case.tracking_no, SUFFIX)
    assert blocked.status_code == 429
    assert blocked.json() == {"detail": "查询失败次数过多，请稍后再试。"}
    assert blocked.headers["Retry-After"] == "600"
    page = page_post(client, tracked_case.tracking_no, SUFFIX)
    assert page.status_code == 429
    assert "尝试次数过多" in page.content.decode()
    # Another client address is not affected.
    assert api_get(api, tracked_case.tracking_no, SUFFIX, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_successes_do_not_count_towards_the_throttle(api, tracked_case, settings):
    settings.TRACK_FAILURE_LIMIT = 2
    for _ in range(5):
        assert api_get(api, tracked_case.tracking_no, SUFFIX).status_code == 200


def test_the_page_is_built_for_a_phone(client, tracked_case):
    for response in (
        client.get(reverse("citizens:track")),
        page_post(client, tracked_case.tracking_no, SUFFIX),
    ):
        html = response.content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        # Locally served Bootstrap, no CDN; one narrow column, no tables to scroll sideways.
        assert "/static/vendor/bootstrap/bootstrap.min.css" in html
        assert "https://" not in html.split("<body")[0]
        assert "citizen-main" in html
        assert "<table" not in html
        assert "w-100" in html  # full-width buttons, easy to tap


def test_missing_materials_say_what_to_do(api, owner, item):
    case = CaseFactory(applicant=owner, state=CaseState.PENDING_MATERIALS, items=[item])
    lease = MaterialTypeFactory(code="LEASE", name="租赁合同")
    CaseMaterialFactory(case=case, material_type=lease, status=MaterialStatus.MISSING)
    body = api_get(api, case.tracking_no, SUFFIX).json()
    assert body["stage"] == "materials_needed"
    assert [(m["material_type"], m["name"]) for m in body["missing"]] == [("LEASE", "租赁合同")]
    assert "在线上传" in body["missing"][0]["what_to_do"]


def test_supplement_requests_are_listed_with_their_department(api, owner, item):
    case = CaseFactory(applicant=owner, state=CaseState.SUSPENDED, items=[item])
    MaterialTypeFactory(code="BIRTH_PROOF", name="出生医学证明")
    ApprovalFactory(
        case=case,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["BIRTH_PROOF"],
        decision_note="出生证明复印件不清晰",
    )
    body = api_get(api, case.tracking_no, SUFFIX).json()
    assert body["missing"] == [
        {
            "material_type": "BIRTH_PROOF",
            "name": "出生医学证明",
            "item": "二孩生育登记",
            "department": "成都市卫生健康委员会",
            "reason": "出生证明复印件不清晰",
            "what_to_do": "请登录「我的办件」在线上传补正材料，无需到现场。",
        }
    ]


def test_delivery_and_certificates_with_verify_links(api, client, owner, item):
    case = CaseFactory(applicant=owner, state=CaseState.IN_DELIVERY, items=[item])
    delivery = DeliveryFactory(case=case)
    certificate = CertificateFactory(case=case, holder=owner, number="I002-2026-000001")
    body = api_get(api, case.tracking_no, SUFFIX).json()
    assert body["stage"] == "sent"
    assert body["delivery"]["waybill"] == delivery.waybill
    assert body["delivery"]["courier"] == "EMS"
    assert body["certificates"] == [
        {
            "number": "I002-2026-000001",
            "type": certificate.certificate_type.name,
            "status": "valid",
            "verify_url": f"http://testserver/verify/{certificate.verification_token}/",
        }
    ]
    html = page_post(client, case.tracking_no, SUFFIX).content.decode()
    assert delivery.waybill in html
    assert f"/verify/{certificate.verification_token}/" in html


def test_never_a_full_id_number_phone_or_address(api, client, owner, item):
    case = CaseFactory(applicant=owner, state=CaseState.IN_DELIVERY, items=[item])
    DeliveryFactory(case=case, phone=owner.phone, street_address="红星路三段1号")
    for content in (
        api_get(api, case.tracking_no, SUFFIX).content.decode(),
        page_post(client, case.tracking_no, SUFFIX).content.decode(),
    ):
        assert owner.id_number not in content
        assert owner.phone not in content
        assert "红星路三段1号" not in content
        assert owner.name not in content
        assert "𠮷**子" in content


def test_a_found_case_costs_a_fixed_number_of_queries(
    api, tracked_case, item, django_assert_max_num_queries
):
    api_get(api, tracked_case.tracking_no, SUFFIX)
    with django_assert_max_num_queries(12) as few:
        api_get(api, tracked_case.tracking_no, SUFFIX)
    for number in range(15):
        CaseEvent.objects.create(
            case=tracked_case, kind=EventKind.NOTE, name="accept", note=f"记录{number}"
        )
        CertificateFactory(case=tracked_case, holder=tracked_case.applicant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api_get(api, tracked_case.tracking_no, SUFFIX)


def test_english_is_there_for_whoever_asks(client, api, tracked_case):
    page = page_post(client, UNKNOWN_NUMBER, SUFFIX, HTTP_ACCEPT_LANGUAGE="en")
    assert "Case not found. Please check the tracking number" in page.content.decode()
    found = api_get(api, tracked_case.tracking_no, SUFFIX, HTTP_ACCEPT_LANGUAGE="en").json()
    assert found["stage_display"] == "Under review by the departments"


def test_the_receipts_qr_link_opens_the_form_with_the_number_filled_in(client, tracked_case):
    known = client.get(f"/track/{tracked_case.tracking_no}/")
    unknown = client.get("/track/261122ZZZZZZZZ/")
    assert known.status_code == unknown.status_code == 200
    assert f'value="{tracked_case.tracking_no}"' in known.content.decode()
    # Nothing tells a known number from an unknown one before the ID suffix is given.
    assert known.content.decode().replace(tracked_case.tracking_no, "N") == (
        unknown.content.decode().replace("261122ZZZZZZZZ", "N")
    )
    answer = page_post(client, tracked_case.tracking_no, OWNER_ID[-4:])
    assert answer.status_code == 200
