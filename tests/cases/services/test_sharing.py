"""The sharing gateway: deny by default, one log row per read, and the row outlives a rollback.

The gateway commits its log rows itself and refuses to run inside a transaction.
The rollback tests run with real transactions (``transaction=True``), on SQLite and
on PostgreSQL alike when the suite runs on each, and look at the rows from a second
database connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.db import connections, transaction
from django.utils import timezone

from cases.models import Verification
from cases.services import sharing
from cases.services.sharing import (
    CaseRequiredError,
    PurposeRequiredError,
    RegistryReadInTransactionError,
    RegistryReadRequest,
    registry_read,
    registry_reads,
)
from tests.factories import (
    ApplicantFactory,
    CaseFactory,
    DepartmentFactory,
    RegistryFactory,
    RegistryRecordFactory,
    SharingAgreementFactory,
)


class Boom(Exception):
    pass


@pytest.fixture
def setting(db):
    department = DepartmentFactory(code="A")
    registry = RegistryFactory(code="POPULATION")
    SharingAgreementFactory(consumer=department, registry=registry)
    applicant = ApplicantFactory()
    RegistryRecordFactory(registry=registry, subject_id=applicant.id_number, data={"name": "张三"})
    case = CaseFactory(applicant=applicant)
    return {"department": department, "registry": registry, "applicant": applicant, "case": case}


def _read(setting, **overrides):
    arguments = {
        "registry": setting["registry"],
        "subject_id": setting["applicant"].id_number,
        "purpose": "核验申请人身份",
        "department": setting["department"],
        "case": setting["case"],
        "applicant": setting["applicant"],
    }
    arguments.update(overrides)
    return registry_read(**arguments)


def test_a_granted_read_leaves_one_row_with_purpose_and_hashes(setting, clerk):
    reading = _read(setting, user=clerk)
    assert reading.data == {"name": "张三"}
    row = Verification.objects.get()
    assert row == reading.verification
    assert (row.outcome, row.purpose, row.case, row.requested_by) == (
        "ok",
        "核验申请人身份",
        setting["case"],
        clerk,
    )
    assert row.requesting_department == setting["department"]
    assert (
        row.response_sha256
        == hashlib.sha256(
            json.dumps({"name": "张三"}, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
    )
    assert len(row.request_sha256) == 64


def test_an_ungranted_read_is_refused_and_logged_as_denied(setting):
    stranger = DepartmentFactory(code="K")
    reading = _read(setting, department=stranger)
    assert reading.data is None
    row = Verification.objects.get()
    assert (row.outcome, row.requesting_department, row.response_sha256) == ("denied", stranger, "")


@pytest.mark.parametrize(
    ("starts", "ends", "is_active", "outcome"),
    [
        (-30, None, True, "ok"),
        (-30, 0, True, "ok"),  # its last day
        (0, 30, True, "ok"),  # its first day
        (-30, -1, True, "denied"),  # ended yesterday
        (1, None, True, "denied"),  # starts tomorrow
        (-30, None, False, "denied"),  # withdrawn
    ],
)
def test_only_an_agreement_in_force_today_grants_a_read(setting, starts, ends, is_active, outcome):
    today = timezone.localdate()
    department = DepartmentFactory(code="T")
    SharingAgreementFactory(
        consumer=department,
        registry=setting["registry"],
        valid_from=today + dt.timedelta(days=starts),
        valid_until=None if ends is None else today + dt.timedelta(days=ends),
        is_active=is_active,
    )
    assert _read(setting, department=department).outcome == outcome


def test_an_unknown_subject_is_logged_as_no_match(setting):
    assert _read(setting, subject_id="11010119900307123X").outcome == "no_match"
    assert Verification.objects.get().outcome == "no_match"


@pytest.mark.parametrize("purpose", ["", "   ", "由" * 201])
def test_a_read_without_a_purpose_is_refused_and_reads_nothing(setting, purpose):
    with pytest.raises(PurposeRequiredError):
        _read(setting, purpose=purpose)
    assert not Verification.objects.exists()


def test_a_read_without_a_case_is_refused_and_reads_nothing(setting):
    with pytest.raises(CaseRequiredError):
        _read(setting, case=None)
    assert not Verification.objects.exists()


def test_a_read_inside_a_transaction_is_refused_and_reads_nothing(setting, monkeypatch):
    fetched = []
    monkeypatch.setattr(sharing, "_fetch", lambda *arguments: fetched.append(arguments))
    with transaction.atomic(), pytest.raises(RegistryReadInTransactionError, match="outside"):
        _read(setting)
    assert fetched == []
    assert not Verification.objects.exists()


def test_a_batch_inside_a_savepoint_is_refused_too(setting):
    request = RegistryReadRequest(
        registry=setting["registry"],
        subject_id=setting["applicant"].id_number,
        purpose="核验申请人身份",
        department=setting["department"],
        case=setting["case"],
    )
    with transaction.atomic(), transaction.atomic(), pytest.raises(RegistryReadInTransactionError):
        registry_reads(requests=[request, request])
    assert not Verification.objects.exists()


def test_a_batch_logs_one_row_per_read_in_the_order_asked(setting):
    stranger = DepartmentFactory(code="K")
    requests = [
        RegistryReadRequest(
            registry=setting["registry"],
            subject_id=setting["applicant"].id_number,
            purpose=f"核验{index}",
            department=department,
            case=setting["case"],
        )
        for index, department in enumerate([setting["department"], stranger])
    ]
    readings = registry_reads(requests=requests)
    assert [reading.outcome for reading in readings] == ["ok", "denied"]
    assert [reading.verification.purpose for reading in readings] == ["核验0", "核验1"]
    assert Verification.objects.count() == 2


def test_a_read_for_a_case_not_opened_yet_is_logged_without_one(setting):
    reading = _read(setting, case=None, opening_case=True)
    row = Verification.objects.get()
    assert (row, row.case_id, row.outcome, row.subject_id) == (
        reading.verification,
        None,
        "ok",
        setting["applicant"].id_number,
    )
    with pytest.raises(ValueError):
        _read(setting, opening_case=True)  # there is no case yet, or it is not this kind of read


def _rows_seen_by_another_connection() -> list[tuple[str, int | None, str]]:
    """The log rows as a second database connection sees them: what is committed."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT purpose, case_id, outcome FROM cases_verification ORDER BY id")
            return [tuple(row) for row in cursor.fetchall()]
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_the_log_row_is_committed_at_once_and_survives_the_callers_rollback():
    setting = _committed_setting()
    reading = _read(setting)
    # Committed before the gateway returned: another connection sees it already...
    assert _rows_seen_by_another_connection() == [("核验申请人身份", setting["case"].pk, "ok")]
    with pytest.raises(Boom), transaction.atomic():
        setting["applicant"].name = "用读到的数据改了名"
        setting["applicant"].save(update_fields=["name"])
        raise Boom
    # ...and the caller's rollback cannot take it back.
    row = Verification.objects.get()
    assert (row.pk, row.log_key, row.case_id, row.outcome) == (
        reading.verification.pk,
        reading.verification.log_key,
        setting["case"].pk,
        "ok",
    )
    assert _rows_seen_by_another_connection() == [("核验申请人身份", setting["case"].pk, "ok")]


@pytest.mark.django_db(transaction=True)
def test_a_refused_read_is_committed_at_once_too():
    setting = _committed_setting()
    _read(setting, department=DepartmentFactory(code="K"))
    assert _rows_seen_by_another_connection() == [("核验申请人身份", setting["case"].pk, "denied")]


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_committed_transaction_is_refused_and_logs_nothing():
    setting = _committed_setting()
    with transaction.atomic(), pytest.raises(RegistryReadInTransactionError):
        _read(setting)
    assert Verification.objects.count() == 0
    assert _rows_seen_by_another_connection() == []


@pytest.mark.django_db(transaction=True)
def test_reads_one_after_another_are_logged_once_each():
    setting = _committed_setting()
    _read(setting)
    _read(setting, purpose="第二次核验")
    assert sorted(row[0] for row in _rows_seen_by_another_connection()) == [
        "核验申请人身份",
        "第二次核验",
    ]


def _committed_setting():
    department = DepartmentFactory(code="A")
    registry = RegistryFactory(code="POPULATION")
    SharingAgreementFactory(consumer=department, registry=registry)
    applicant = ApplicantFactory()
    RegistryRecordFactory(registry=registry, subject_id=applicant.id_number, data={"name": "张三"})
    return {
        "department": department,
        "registry": registry,
        "applicant": applicant,
        "case": CaseFactory(applicant=applicant),
    }
