"""The intake API of docs/architecture.md §6: same service underneath, 400 per field, the idempotency key."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.constants import CaseState
from cases.models import Case, CaseMaterial
from departments.constants import Role
from tests.cases.services.intake_catalogue import build_catalogue
from tests.factories import StaffFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def api(clerk):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    return client


def _create(api, catalogue, key=None, **body):
    payload = {
        "applicant": {"id_type": "resident_id", "id_number": catalogue.person_id},
        "items": ["X001"],
        "channel": "window",
    }
    payload.update(body)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post("/api/v1/cases/", payload, format="json", **headers)


def test_items_and_bundles_are_listed_with_the_contract_fields(api, catalogue):
    items = api.get("/api/v1/items/").json()
    first = next(item for item in items if item["code"] == "X002")
    assert {
        "code",
        "name",
        "department",
        "produces",
        "promised_days",
        "auto_decide",
        "materials",
    } <= set(first)
    assert first["department"] == "A"
    licence = next(m for m in first["materials"] if m["material_type"] == "LICENCE_COPY")
    assert licence["satisfied_by_certificate"] == "LICENCE" and licence["verifiable_by"] is None
    id_card = next(m for m in first["materials"] if m["material_type"] == "ID_CARD")
    assert id_card["verifiable_by"] == "POPULATION"
    assert next(i for i in items if i["code"] == "X001")["produces"] == "LICENCE"
    bundles = api.get("/api/v1/bundles/").json()
    assert bundles == [
        {
            "code": "OPEN_SHOP",
            "name": "我要开店",
            "description": "",
            "items": ["X001", "X002", "X003", "X004"],
        }
    ]
    assert [item["code"] for item in api.get("/api/v1/items/?q=卫生").json()] == ["X003"]


def test_the_catalogue_is_public_but_read_only(catalogue):
    # Issue 18: the service guide's data is open to anyone (tests/guide/test_api.py).
    assert APIClient().get("/api/v1/items/").status_code == 200
    assert APIClient().post("/api/v1/items/", {}, format="json").status_code == 405


def test_a_case_is_opened_with_its_checklist(api, catalogue):
    response = _create(api, catalogue)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "DRAFT"
    assert {row["material_type"]: row["status"] for row in body["checklist"]} == {
        "ID_CARD": "verified",
        "LEASE": "missing",
    }
    assert body["missing"] == ["LEASE"]
    assert body["form_data"] == {"X001": {"investor_name": "𠮷祥", "proposed_name": ""}}


def test_the_same_idempotency_key_gives_the_same_case(api, catalogue):
    first = _create(api, catalogue, key="app-7f3a")
    second = _create(api, catalogue, key="app-7f3a")
    assert first.status_code == second.status_code == 201
    assert first.json()["tracking_no"] == second.json()["tracking_no"]
    assert second["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (
            {"applicant": {"id_type": "resident_id", "id_number": "510104198001010011"}},
            ("applicant", "id_number"),
            "校验码",
        ),
        ({"applicant": {"id_type": "passport", "id_number": "X"}}, ("applicant", "id_type"), ""),
        ({"applicant": {"id_type": "resident_id"}}, ("applicant", "id_number"), ""),
        # What the schema says too: a blank, or only whitespace, is no ID number.
        (
            {"applicant": {"id_type": "resident_id", "id_number": " \u3000"}},
            ("applicant", "id_number"),
            "",
        ),
        # A number where the schema says text: refused, not turned into its digits.
        (
            {"applicant": {"id_type": "resident_id", "id_number": 510104198001010011}},
            ("applicant", "id_number"),
            "不是有效的字符串",
        ),
        ({"items": [1001]}, ("items", "0"), "不是有效的字符串"),
        ({"items": []}, ("items",), "至少选择一个事项"),
        ({"items": ["X001", "NOPE"]}, ("items",), "NOPE"),
        ({"items": [], "bundle": "NOPE"}, ("bundle",), "NOPE"),
        ({"channel": "fax"}, ("channel",), ""),
        ({"channel": "agent"}, ("channel",), "代办员"),
    ],
)
def test_bad_input_is_a_400_with_a_message_per_field_and_changes_nothing(
    api, catalogue, body, path, message
):
    response = _create(api, catalogue, **body)
    assert response.status_code == 400
    errors = response.json()
    for key in path:
        errors = errors[key]
    assert isinstance(errors, list) and message in errors[0]
    assert not Case.objects.exists()


def test_a_case_is_opened_from_json_only(api, catalogue):
    """The applicant is a nested object, which a form cannot carry: the schema offers JSON
    only, and a form is refused as such (415), not as a missing applicant."""
    response = api.post(
        "/api/v1/cases/",
        {"applicant.id_type": "resident_id", "applicant.id_number": catalogue.person_id},
        format="multipart",
    )
    assert response.status_code == 415
    assert not Case.objects.exists()


def test_upload_then_submit_is_accepted_and_dispatched(api, catalogue):
    tracking_no = _create(api, catalogue).json()["tracking_no"]
    response = api.post(
        f"/api/v1/cases/{tracking_no}/materials/",
        {"material_type": "LEASE", "file": _file("lease.pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["missing"] == []
    material = CaseMaterial.objects.get(case__tracking_no=tracking_no, material_type__code="LEASE")
    assert material.sha256 == hashlib.sha256(PDF).hexdigest()
    submitted = api.post(f"/api/v1/cases/{tracking_no}/submit/", {}, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == CaseState.IN_REVIEW
    assert submitted.json()["due_date"]


def test_submit_with_something_missing_gives_the_complete_list(api, catalogue):
    tracking_no = _create(api, catalogue, items=[], bundle="OPEN_SHOP").json()["tracking_no"]
    response = api.post(f"/api/v1/cases/{tracking_no}/submit/", {}, format="json")
    body = response.json()
    assert body["state"] == "PENDING_MATERIALS"
    assert body["missing"] == ["LEASE", "PLAN"]
    assert [item["code"] for item in body["notice"][1]["items"]] == ["X002", "X003", "X004"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("../../lease.pdf", PDF, "路径"),
        ("lease.pdf", b"<html>not a scan</html>", "PDF、JPEG 或 PNG"),
    ],
)
def test_a_bad_upload_is_a_400_on_the_file_field(api, catalogue, name, content, message):
    tracking_no = _create(api, catalogue).json()["tracking_no"]
    # Built by hand: Django's test client would cut the file name to its base itself.
    boundary = "----onewindow-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="material_type"\r\n\r\nLEASE\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = api.generic(
        "POST",
        f"/api/v1/cases/{tracking_no}/materials/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert not CaseMaterial.objects.filter(case__tracking_no=tracking_no, sha256__gt="").exists()


def test_an_unknown_case_is_404(api, catalogue):
    assert api.post("/api/v1/cases/NOPE/submit/", {}, format="json").status_code == 404


def test_a_reviewer_cannot_open_cases(catalogue):
    client = APIClient()
    client.force_authenticate(StaffFactory(role=Role.REVIEWER, department=catalogue.department))
    assert _create(client, catalogue).status_code == 403


def test_the_schema_lists_the_intake_endpoints(api, catalogue):
    schema = api.get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/items/",
        "/api/v1/bundles/",
        "/api/v1/cases/",
        "/api/v1/cases/{tracking_no}/materials/",
        "/api/v1/cases/{tracking_no}/submit/",
    ):
        assert path in schema["paths"], path


def _file(name, content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")
