"""The API keeps the contract its OpenAPI schema states (``/api/v1/schema/``).

Schemathesis reads the schema from the application itself (WSGI, no server) and runs
every operation with a few generated requests, valid and invalid: the schema's own
examples, its boundary values (coverage) and random ones (fuzzing). Every answer is
checked: no server error, a status code the schema lists for the operation, the content
type and a body it states for that code, a valid request not refused as bad input, an
invalid one refused. Deterministic (a fixed seed, derandomised, no example database),
so a failure shows on every run, on SQLite and on PostgreSQL alike.

Staff endpoints are called with a DRF token of a demo-like user: a department system
for the approvals, a window clerk for the rest. A generated path or body takes, half of
the time, a value that exists here (a case's tracking number, an approval, a catalogue
code), so the successful answers and the state conflicts are checked too, not only
the 404s of made-up numbers.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.constants import ApprovalState, CaseState
from cases.couriers.waybills import make_s10
from departments.constants import Role
from onewindow.wsgi import application
from tests.factories import (
    ApprovalFactory,
    BundleFactory,
    CaseFactory,
    CertificateFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    ServiceItemFactory,
    StaffFactory,
    resident_id,
)

SCHEMA_PATH = "/api/v1/schema/"
EXAMPLES_PER_OPERATION = 25
SEED = 19

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
# Schemathesis' own list of the answers a schema-valid request may get, less 5xx.
POSITIVE_EXPECTED_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429"]
# Operations whose input is checked further than a schema can say: ID-number check
# digits, catalogue and material codes that must exist (for this case, this approval's
# item), a file's content, a waybill's check digit. There a schema-valid request may
# be refused with 400 and a message per field; anywhere else such a 400 fails the test.
CHECKED_BEYOND_THE_SCHEMA = [
    "approvals_decision_create",
    "cases_create",
    "cases_materials_create",
    "cases_submit_create",
    "cases_delivery_create",
    "certificates_verify_create",
    # The network and the hall (issue 17): codes that must exist in that centre (and in
    # the caller's scope), the opening hours, the booking horizon, ID check digits.
    "cases_list",
    "centres_tickets_create",
    "centres_slots_list",
    "appointments_create",
]
# A value that exists here, used for half of the generated values of that parameter.
EXISTING_VALUE_PROBABILITY = 0.5


@pytest.fixture
def api_data(db):
    """A small catalogue, cases and approvals to act on, and the callers' tokens."""
    department = DepartmentFactory(code="A", name="成都市市场监督管理局")
    lease = MaterialTypeFactory(code="LEASE_CONTRACT", name="房屋租赁合同")
    item = ServiceItemFactory(code="A002", name="有限责任公司设立登记", department=department)
    MaterialRequirementFactory(item=item, material_type=lease)
    BundleFactory(code="OPEN_RESTAURANT", name="我要开餐馆", with_items=[item])
    approvals = [
        ApprovalFactory(item=item, state=state)
        for state in (ApprovalState.IN_REVIEW, ApprovalState.IN_REVIEW, ApprovalState.PENDING)
    ]
    cases = [
        CaseFactory(state=CaseState.DRAFT, items=[item]),
        CaseFactory(state=CaseState.ISSUED, items=[item]),
    ]
    certificate = CertificateFactory()
    system = StaffFactory(
        username="system_a", role=Role.DEPARTMENT_SYSTEM, department=department, is_staff=False
    )
    clerk = StaffFactory(username="clerk_a", role=Role.CLERK)
    return {
        "item": item,
        "tokens": {
            "approvals": Token.objects.create(user=system).key,
            "window": Token.objects.create(user=clerk).key,
        },
        "existing": {
            "path.id": [approval.pk for approval in approvals],
            "path.tracking_no": [case.tracking_no for case in cases],
            "path.token": [certificate.verification_token],
            "body.items[*]": [item.code],
            "body.bundle": ["OPEN_RESTAURANT"],
            "body.applicant.id_number": [resident_id(n) for n in range(3)],
            "body.materials[*]": [lease.code],
            "body.material_type": [lease.code],
            "body.courier": ["EMS"],
            "body.waybill": [make_s10(service="EA", serial_number=n) for n in range(1, 4)],
            "body.phone": ["13800138000"],
        },
    }


def _config(existing: dict[str, list]) -> schemathesis.Config:
    names = {key: key.replace(".", "_").replace("[*]", "") for key in existing}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "stateful": {"enabled": False},
                # The schema's own examples are never bad input, whatever the operation.
                "examples": {
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": POSITIVE_EXPECTED_STATUSES
                        }
                    }
                },
            },
            "dictionaries": {names[key]: {"values": values} for key, values in existing.items()},
            "parameters": {
                key: {"dictionary": names[key], "probability": EXISTING_VALUE_PROBABILITY}
                for key in existing
            },
            "operations": [
                {
                    "include-operation-id": operation_id,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_EXPECTED_STATUSES, "400"]
                        }
                    },
                }
                for operation_id in CHECKED_BEYOND_THE_SCHEMA
            ],
        }
    )


@pytest.fixture
def api_schema(api_data):
    # The test database stays open from request to request, as Django's test client
    # keeps it: close_old_connections is off the request signals meanwhile.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            SCHEMA_PATH, application, config=_config(api_data["existing"])
        )
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


def _caller(path: str) -> str:
    return "approvals" if path.startswith("/api/v1/approvals/") else "window"


@schema.parametrize()
def test_api_keeps_its_schema(case, api_data):
    if case.operation.definition.raw.get("security") != [{}]:
        token = api_data["tokens"][_caller(case.operation.path)]
        case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
    case.call_and_validate(checks=CHECKS)


# --- the schema's own examples -----------------------------------------------------------


def _approval_to_decide(data):
    approval = ApprovalFactory(item=data["item"], state=ApprovalState.IN_REVIEW)
    return {"id": approval.pk}, "approvals", 200


def _issued_case(data):
    return (
        {"tracking_no": CaseFactory(state=CaseState.ISSUED, items=[data["item"]]).tracking_no},
        "window",
        201,
    )


# Where each operation's examples are sent, by whom, and the answer they get.
EXAMPLE_TARGETS = {
    "approvals_decision_create": _approval_to_decide,
    "cases_create": lambda data: ({}, "window", 201),
    "cases_delivery_create": _issued_case,
    # The examples' credentials are placeholders: the body is taken, the password checked.
    "auth_token_create": lambda data: ({}, None, 401),
}


def _request_examples(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            for name, example in content.get("application/json", {}).get("examples", {}).items():
                yield operation["operationId"], method, path, name, example["value"]


def test_the_schema_examples_are_accepted(api_data):
    client = APIClient()
    document = client.get(SCHEMA_PATH, {"format": "json"}).json()
    examples = list(_request_examples(document))
    assert {operation_id for operation_id, *_ in examples} == set(EXAMPLE_TARGETS)
    for operation_id, method, path, name, body in examples:
        path_parameters, caller, expected_status = EXAMPLE_TARGETS[operation_id](api_data)
        client.credentials(
            **({"HTTP_AUTHORIZATION": f"Token {api_data['tokens'][caller]}"} if caller else {})
        )
        response = getattr(client, method)(path.format(**path_parameters), body, format="json")
        assert response.status_code == expected_status, (operation_id, name, response.json())
