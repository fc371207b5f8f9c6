"""An approval's registry checks read remote registries at the same time, not one after another."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from cases.constants import ApplicantKind, ApprovalState, VerificationOutcome
from cases.models import Verification
from cases.services.checks import approval_check
from departments.constants import ConnectorKind, RegistryKind
from tests.factories import (
    ApplicantFactory,
    ApprovalFactory,
    CaseFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
)

REGISTRIES = 3


class BarrierRegistry(BaseHTTPRequestHandler):
    """Answers only once all registries have been asked: a sequential caller would wait
    at the barrier until it breaks, and get an error instead of a record."""

    barrier = threading.Barrier(REGISTRIES, timeout=5)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            type(self).barrier.wait()
        except threading.BrokenBarrierError:
            status, body = 503, b'{"detail": "asked alone"}'
        else:
            record = {"status": "正常参保", "arrears": False}
            status, body = 200, json.dumps(record, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def barrier_server():
    BarrierRegistry.barrier = threading.Barrier(REGISTRIES, timeout=5)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BarrierRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
@override_settings(REGISTRY_HTTP_ALLOW_PLAIN_HTTP=True, REGISTRY_HTTP_RETRIES=0)
def test_remote_registries_are_read_in_parallel_and_each_read_is_logged(barrier_server):
    item = ServiceItemFactory()
    kinds = [RegistryKind.SOCIAL_INSURANCE, RegistryKind.TAX, RegistryKind.SOCIAL_INSURANCE]
    for number, kind in enumerate(kinds):
        registry = RegistryFactory(
            kind=kind, connector=ConnectorKind.HTTP, endpoint_url=f"{barrier_server}/r{number}"
        )
        SharingAgreementFactory(consumer=item.department, registry=registry)
        MaterialRequirementFactory(
            item=item, material_type=MaterialTypeFactory(verifiable_by=registry)
        )
    applicant = ApplicantFactory(kind=ApplicantKind.PERSON)
    approval = ApprovalFactory(
        item=item, case=CaseFactory(applicant=applicant), state=ApprovalState.PENDING
    )
    checks = approval_check(approval=approval)
    assert [check["outcome"] for check in checks] == [VerificationOutcome.OK] * REGISTRIES
    assert all(check["passed"] for check in checks)
    logged = Verification.objects.filter(case=approval.case)
    assert logged.count() == REGISTRIES
    assert {row.pk for row in logged} == {check["verification"] for check in checks}
