"""The OpenAPI schema's project-wide rules (onewindow/api_schema.py): every error answer is
listed with its JSON body, and a text field's schema says what its serializer refuses."""

from __future__ import annotations

import re
import sys

import pytest
from rest_framework.test import APIClient

from onewindow.api_schema import NOT_BLANK_PATTERN, WHITESPACE_CLASS, WITHOUT_NUL_PATTERN

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    return APIClient().get("/api/v1/schema/", {"format": "json"}).json()


def _operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_whitespace_class_is_what_str_strip_removes():
    whitespace = re.compile(f"[{WHITESPACE_CLASS}]")
    differs = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if bool(whitespace.fullmatch(chr(code))) != chr(code).isspace()
    ]
    assert differs == []


@pytest.mark.parametrize(
    ("value", "is_text"),
    [
        ("510104198001010011", True),
        (" 张三 ", True),
        ("", False),
        ("   ", False),
        ("\u3000\t\n\x1c", False),
        ("a\x00b", False),
    ],
)
def test_a_non_blank_text_field_refuses_what_drf_refuses(value, is_text):
    assert bool(re.search(NOT_BLANK_PATTERN, value)) is is_text


def test_a_blank_allowed_text_field_refuses_nul_only():
    assert re.search(WITHOUT_NUL_PATTERN, "  ")
    assert not re.search(WITHOUT_NUL_PATTERN, "a\x00")


def test_every_error_answer_has_a_json_body(document):
    missing = [
        f"{method.upper()} {path} {code}"
        for path, method, operation in _operations(document)
        for code, response in operation["responses"].items()
        if int(code) >= 400
        and "schema" not in response.get("content", {}).get("application/json", {})
    ]
    assert missing == []


def test_the_answers_drf_gives_by_itself_are_listed(document):
    def codes(path, method):
        return set(document["paths"][path][method]["responses"])

    # A token endpoint (no object, body): bad input, wrong token, no permission, media type.
    assert {"201", "400", "401", "403", "415"} <= codes("/api/v1/cases/", "post")
    # An object in the path: 404 too.
    assert {"200", "400", "401", "403", "404", "409", "415"} <= codes(
        "/api/v1/approvals/{id}/decision/", "post"
    )
    # A paginated list: a page past the end is 404; bad filters 400.
    assert {"200", "400", "401", "403", "404"} == codes("/api/v1/approvals/", "get")
    # Public and throttled: no 401 or 403, but 429.
    assert codes("/api/v1/certificates/verify/{token}/", "get") == {"200", "404", "429"}
    # Public, its own 400/404/429.
    assert codes("/api/v1/track/{tracking_no}/", "get") == {"200", "400", "404", "429"}


def test_a_field_error_answer_is_a_message_list_per_field_nested_as_the_input(document):
    schemas = document["components"]["schemas"]
    bad_input = document["paths"]["/api/v1/cases/"]["post"]["responses"]["400"]
    assert bad_input["content"]["application/json"]["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/ErrorDetail"},
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    }
    assert schemas["ErrorDetail"]["required"] == ["detail"]
    assert schemas["FieldErrors"]["additionalProperties"]["anyOf"] == [
        {"type": "array", "items": {"type": "string"}},
        {"$ref": "#/components/schemas/FieldErrors"},
    ]


def test_the_id_number_is_no_blank_text_in_the_schema(document):
    id_number = document["components"]["schemas"]["ApplicantIn"]["properties"]["id_number"]
    assert id_number["minLength"] == 1
    assert id_number["pattern"] == NOT_BLANK_PATTERN
    assert id_number["maxLength"] == 30


def test_the_approval_list_documents_its_paging_and_filter(document):
    parameters = {
        parameter["name"]: parameter
        for parameter in document["paths"]["/api/v1/approvals/"]["get"]["parameters"]
    }
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 50,
    }
    state = parameters["state"]
    assert (state["style"], state["explode"]) == ("form", False)
    assert state["schema"]["minItems"] == 1
    assert "IN_REVIEW" in state["schema"]["items"]["enum"]


def test_the_decision_examples_are_request_bodies_only(document):
    operation = document["paths"]["/api/v1/approvals/{id}/decision/"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert examples["要求补正"]["value"]["materials"] == ["LEASE_CONTRACT"]
    assert "examples" not in operation["responses"]["200"]["content"]["application/json"]
