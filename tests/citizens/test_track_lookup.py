"""The tracking lookup's two paths (one query on PostgreSQL, the ORM elsewhere) give the same
answer, the API's hand-built JSON is the serializer's contract, and the throttle works on
Redis with one round trip per check."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from cases.constants import (
    ApprovalState,
    CaseState,
    CertificateStatus,
    DeliveryStatus,
    EventKind,
    MaterialStatus,
)
from cases.models import CaseEvent
from citizens.api.views import TrackSerializer
from citizens.selectors import case_for_tracking, case_public_view
from citizens.tracking import track_lookup
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    CertificateTypeFactory,
    DeliveryFactory,
    DepartmentFactory,
    MaterialTypeFactory,
    ServiceItemFactory,
)

from .conftest import OWNER_ID

SUFFIX = OWNER_ID[-4:]


def _event(case, name, *, approval=None, note="", is_public=True, hours=0):
    # Microsecond-precise times, one whose fraction ends in zeros (PostgreSQL writes
    # ".12"), one exactly on the second (no fraction at all); two events at the same
    # time are ordered by id.
    microseconds = {2: 120000, 3: 0}.get(hours, 123456)
    at = timezone.now().replace(microsecond=microseconds) + dt.timedelta(hours=hours)
    return CaseEvent.objects.create(
        case=case,
        approval=approval,
        kind=EventKind.TRANSITION,
        name=name,
        note=note,
        is_public=is_public,
        created_at=at,
    )


def _submitted(owner, item, other_item):
    """Submitted, no approvals yet: the items come from the case itself."""
    case = CaseFactory(applicant=owner, state=CaseState.SUBMITTED, items=[other_item, item])
    _event(case, "submit", note="网上提交")
    return case


def _pending_materials(owner, item, other_item):
    case = CaseFactory(applicant=owner, state=CaseState.PENDING_MATERIALS, items=[item])
    lease = MaterialTypeFactory(code="LEASE", name="租赁合同")
    photo = MaterialTypeFactory(code="PHOTO", name="证件照")
    CaseMaterialFactory(case=case, material_type=photo, status=MaterialStatus.MISSING)
    CaseMaterialFactory(case=case, material_type=lease, status=MaterialStatus.MISSING)
    CaseMaterialFactory(
        case=case,
        material_type=MaterialTypeFactory(code="ID"),
        status=MaterialStatus.UPLOADED,
        sha256="a" * 64,
    )
    _event(case, "submit")
    _event(case, "request_materials", note="一次性告知", hours=1)
    return case


def _in_review_with_supplement(owner, item, other_item):
    case = CaseFactory(applicant=owner, state=CaseState.SUSPENDED, items=[item, other_item])
    MaterialTypeFactory(code="BIRTH_PROOF", name="出生医学证明")
    asked = ApprovalFactory(
        case=case,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["BIRTH_PROOF", "UNLISTED_CODE"],
        decision_note="出生证明复印件不清晰",
        due_date=dt.date(2026, 12, 4),
    )
    ApprovalFactory(
        case=case, item=other_item, state=ApprovalState.IN_REVIEW, due_date=dt.date(2026, 12, 9)
    )
    _event(case, "accept", note="窗口受理")
    _event(case, "request_supplement", approval=asked, hours=2)
    _event(case, "internal_note", approval=asked, note="内部意见", is_public=False, hours=3)
    _event(case, "suspend", hours=3)
    return case


def _approved_with_certificates_and_parcel(owner, item, other_item):
    case = CaseFactory(applicant=owner, state=CaseState.IN_DELIVERY, items=[item])
    approval = ApprovalFactory(
        case=case, item=item, state=ApprovalState.APPROVED, due_date=dt.date(2026, 12, 4)
    )
    kind = CertificateTypeFactory(code="BIRTH_PERMIT", name="生育服务证")
    CertificateFactory(case=case, holder=owner, certificate_type=kind, number="C-2")
    # Valid on paper but past its last day: shown as expired on both paths.
    CertificateFactory(
        case=case,
        holder=owner,
        certificate_type=kind,
        number="C-1",
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2021, 1, 1),
        status=CertificateStatus.VALID,
    )
    DeliveryFactory(case=case, status=DeliveryStatus.FAILED)
    DeliveryFactory(case=case, courier="SF", waybill="SF1234567890", status=DeliveryStatus.SHIPPED)
    _event(case, "accept")
    _event(case, "approve", approval=approval, note="准予", hours=1)
    _event(case, "issue", hours=2)
    _event(case, "ship", hours=3)
    return case


def _approved_waiting_at_the_window(owner, item, other_item):
    """Approved, every certificate signed, not handed out yet: the case stays APPROVED."""
    case = CaseFactory(applicant=owner, state=CaseState.APPROVED, items=[item])
    approval = ApprovalFactory(case=case, item=item, state=ApprovalState.APPROVED)
    kind = CertificateTypeFactory(code="BIRTH_REGISTRATION", name="生育登记服务单")
    CertificateFactory(
        case=case, approval=approval, holder=owner, certificate_type=kind, pdf_sha256="b" * 64
    )
    _event(case, "accept")
    _event(case, "auto_approve", approval=approval, hours=1)
    _event(case, "certificate_signed", hours=2)
    return case


def _approved_certificate_being_signed(owner, item, other_item):
    case = CaseFactory(applicant=owner, state=CaseState.APPROVED, items=[item])
    approval = ApprovalFactory(case=case, item=item, state=ApprovalState.APPROVED)
    CertificateFactory(case=case, approval=approval, holder=owner, pdf_sha256="")
    _event(case, "auto_approve", approval=approval)
    return case


def _issued_parcel_came_back(owner, item, other_item):
    case = CaseFactory(applicant=owner, state=CaseState.ISSUED, items=[item])
    approval = ApprovalFactory(case=case, item=item, state=ApprovalState.APPROVED)
    CertificateFactory(case=case, approval=approval, holder=owner, pdf_sha256="c" * 64)
    DeliveryFactory(case=case, status=DeliveryStatus.RETURNED)
    _event(case, "ship")
    _event(case, "return_to_window", hours=1)
    return case


def _denied(owner, item, other_item):
    case = CaseFactory(applicant=owner, state=CaseState.DENIED, items=[item])
    approval = ApprovalFactory(
        case=case, item=item, state=ApprovalState.REJECTED, decision_note="不符合条件"
    )
    _event(case, "accept")
    _event(case, "reject", approval=approval, note="不符合条件", hours=1)
    _event(case, "rate", hours=2)
    return case


CASES = {
    "submitted": _submitted,
    "pending_materials": _pending_materials,
    "in_review_with_supplement": _in_review_with_supplement,
    "approved_with_certificates_and_parcel": _approved_with_certificates_and_parcel,
    "approved_waiting_at_the_window": _approved_waiting_at_the_window,
    "approved_certificate_being_signed": _approved_certificate_being_signed,
    "issued_parcel_came_back": _issued_parcel_came_back,
    "denied": _denied,
}


@pytest.fixture
def other_item(db):
    department = DepartmentFactory(code="H", name="成都市住房和城乡建设局")
    return ServiceItemFactory(code="H010", name="公租房申请", department=department)


@pytest.fixture(params=sorted(CASES))
def tracked(request, owner, item, other_item):
    return CASES[request.param](owner, item, other_item)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lookup_answers_like_the_orm_path_for_a_case_in_every_state(tracked, language):
    """On PostgreSQL the one-query path against the ORM path; elsewhere the ORM path is
    the lookup, and this checks the entry point still gives it."""
    with translation.override(language):
        portable = case_public_view(
            case=case_for_tracking(tracking_no=tracked.tracking_no, id_suffix=SUFFIX)
        )
        looked_up = track_lookup(tracking_no=tracked.tracking_no, id_suffix=SUFFIX.lower())
    assert looked_up == portable
    assert looked_up["tracking_no"] == tracked.tracking_no
    assert looked_up["items"] and looked_up["timeline"]


def test_the_compared_answers_hold_what_each_state_shows(owner, item, other_item):
    """The comparison above is not between two empty answers."""
    pending = track_lookup(
        tracking_no=_pending_materials(owner, item, other_item).tracking_no, id_suffix=SUFFIX
    )
    assert [m["material_type"] for m in pending["missing"]] == ["PHOTO", "LEASE"]
    suspended = track_lookup(
        tracking_no=_in_review_with_supplement(owner, item, other_item).tracking_no,
        id_suffix=SUFFIX,
    )
    assert [(m["material_type"], m["name"]) for m in suspended["missing"]] == [
        ("BIRTH_PROOF", "出生医学证明"),
        ("UNLISTED_CODE", "UNLISTED_CODE"),
    ]
    assert [e["event"] for e in suspended["timeline"]] == ["受理", "要求补正", "暂停（待补正）"]
    assert suspended["timeline"][1]["item"] == "二孩生育登记"
    delivered = track_lookup(
        tracking_no=_approved_with_certificates_and_parcel(owner, item, other_item).tracking_no,
        id_suffix=SUFFIX,
    )
    assert delivered["delivery"]["waybill"] == "SF1234567890"
    assert [(c["number"], c["status"]) for c in delivered["certificates"]] == [
        ("C-2", "valid"),
        ("C-1", "expired"),
    ]
    submitted = track_lookup(
        tracking_no=_submitted(owner, item, other_item).tracking_no, id_suffix=SUFFIX
    )
    assert [(i["code"], i["approval_state"]) for i in submitted["items"]] == [
        ("H010", None),
        ("I002", None),
    ]


READY_WORDING = {
    "zh-hans": ("结果待领取或寄出", "办理结果已备好：请带上本人身份证到综合窗口领取", "快递寄给您"),
    "en": ("Result ready for pick-up or dispatch", "the result is ready", "by courier"),
}


def _answers_of_both_paths(case, language):
    """The page's view (the ORM's, and the lookup's: one query on PostgreSQL) and the
    API's JSON (written by the database on PostgreSQL), in ``language``."""
    with translation.override(language):
        orm = case_public_view(
            case=case_for_tracking(tracking_no=case.tracking_no, id_suffix=SUFFIX)
        )
        looked_up = track_lookup(tracking_no=case.tracking_no, id_suffix=SUFFIX)
    api = APIClient().get(
        reverse("api:track", args=[case.tracking_no]),
        {"id_suffix": SUFFIX},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert api.status_code == 200
    return [orm, looked_up, api.json()]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_certificates_waiting_at_the_window_read_ready_with_how_to_get_them(
    owner, item, other_item, language
):
    """A case stays APPROVED until the window hands the result out, though its certificates
    are signed and in the library: the applicant reads that it is ready, and how to get it
    (at the window with their ID card, or by courier), on every path."""
    stage, sentence, courier = READY_WORDING[language]
    case = _approved_waiting_at_the_window(owner, item, other_item)
    for answer in _answers_of_both_paths(case, language):
        assert answer["state"] == CaseState.APPROVED
        assert answer["stage"] == "ready"
        assert answer["stage_display"] == stage
        assert sentence in answer["explanation"] and courier in answer["explanation"]
        assert "正在制作" not in answer["explanation"]


def test_a_certificate_still_being_signed_and_a_parcel_that_came_back_read_so(
    owner, item, other_item
):
    being_signed = _approved_certificate_being_signed(owner, item, other_item)
    for answer in _answers_of_both_paths(being_signed, "zh-hans"):
        assert answer["stage"] == "decided"
        assert answer["explanation"] == "申请已获批准，正在制作电子证照，做好后即可领取。"
    came_back = _issued_parcel_came_back(owner, item, other_item)
    for answer in _answers_of_both_paths(came_back, "zh-hans"):
        assert answer["stage"] == "ready"
        assert answer["explanation"].startswith("快递未能送达，结果已退回综合窗口")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_api_answer_is_the_serializers_contract(tracked, language):
    """The view writes its JSON by hand; the serializer (kept for the OpenAPI schema) must
    give exactly the same document: same fields, same values, same formats."""
    response = APIClient().get(
        reverse("api:track", args=[tracked.tracking_no]),
        {"id_suffix": SUFFIX},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store, private"
    request = RequestFactory().get("/")
    with translation.override(language):
        view = case_public_view(
            case=case_for_tracking(tracking_no=tracked.tracking_no, id_suffix=SUFFIX)
        )
        expected = json.loads(
            JSONRenderer().render(TrackSerializer(view, context={"request": request}).data)
        )
    assert response.json() == expected
    assert set(response.json()) == set(TrackSerializer().fields)


def test_wrong_suffix_unknown_and_malformed_numbers_cost_one_query_each(owner, item, other_item):
    case = _approved_with_certificates_and_parcel(owner, item, other_item)
    for number, suffix in ((case.tracking_no, "9999"), ("260101ABCDEFGH", SUFFIX), ("x", SUFFIX)):
        with CaptureQueriesContext(connection) as queries:
            assert track_lookup(tracking_no=number, id_suffix=suffix) is None
        assert len(queries.captured_queries) == 1


@pytest.mark.postgresql  # the one-query path is PostgreSQL's
def test_on_postgresql_a_found_case_is_one_query_for_api_and_page(client, owner, item, other_item):
    """The API's one statement also checks the throttle; the page checks it first with a
    query of its own."""
    case = _approved_with_certificates_and_parcel(owner, item, other_item)
    api = APIClient()
    with CaptureQueriesContext(connection) as queries:
        response = api.get(reverse("api:track", args=[case.tracking_no]), {"id_suffix": SUFFIX})
    assert response.status_code == 200
    assert len(queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        page = client.post(
            reverse("citizens:track"), {"tracking_no": case.tracking_no, "id_suffix": SUFFIX}
        )
    assert page.status_code == 200
    assert "SF1234567890" in page.content.decode()
    assert len(queries.captured_queries) == 2
    assert "citizens_trackfailure" in queries.captured_queries[0]["sql"]


def test_the_schema_still_describes_the_tracking_answer(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/track/{tracking_no}/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Track"
    }
    assert {"items", "timeline", "missing", "delivery", "certificates"} <= set(
        schema["components"]["schemas"]["Track"]["properties"]
    )


@pytest.mark.postgresql  # the labels are inlined in PostgreSQL's statement
def test_a_label_map_gives_each_value_its_label_and_anything_else_the_default(db):
    from citizens.tracking.statements import _label

    labels = {"ISSUED": "已出证", "ship": "寄出 'EMS' \\ 𠮷", "CLOSED": '已办结 "好评"'}
    sql = (
        f"SELECT v, {_label('v', labels, 'v')}, {_label('v', labels, chr(39) + '-' + chr(39))}"
        " FROM (VALUES ('ISSUED'), ('ship'), ('CLOSED'), ('UNKNOWN'), (NULL)) AS t(v)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    assert rows == [
        ("ISSUED", "已出证", "已出证"),
        ("ship", "寄出 'EMS' \\ 𠮷", "寄出 'EMS' \\ 𠮷"),
        ("CLOSED", '已办结 "好评"', '已办结 "好评"'),
        ("UNKNOWN", "UNKNOWN", "-"),
        (None, None, "-"),
    ]
    assert _label("v", {}, "v") == "v"  # nothing to look up: the default as it is
