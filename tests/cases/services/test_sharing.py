"""The sharing gateway: deny by default, one log row per read, and the row outlives a rollback.

The rollback tests run with real transactions (``transaction=True``), so they
exercise the guard on SQLite (the write lock) and on PostgreSQL (advisory lock)
alike when the suite runs on each.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import transaction

from cases.models import Case, Verification
from cases.services.sharing import (
    CaseRequiredError,
    PurposeRequiredError,
    registry_read,
    verification_guards_wait,
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


@pytest.mark.django_db(transaction=True)
def test_the_log_row_survives_the_callers_rollback():
    setting = _committed_setting()
    with pytest.raises(Boom), transaction.atomic():
        reading = _read(setting)
        key = reading.verification.log_key
        raise Boom
    assert verification_guards_wait(timeout=30)
    row = Verification.objects.get()
    assert (row.log_key, row.case_id, row.outcome) == (key, setting["case"].pk, "ok")


@pytest.mark.django_db(transaction=True)
def test_a_case_that_rolled_back_leaves_the_row_without_it():
    setting = _committed_setting()
    with pytest.raises(Boom), transaction.atomic():
        case = CaseFactory(applicant=setting["applicant"])
        _read(setting, case=case)
        raise Boom
    assert verification_guards_wait(timeout=30)
    assert not Case.objects.filter(pk=case.pk).exists()
    row = Verification.objects.get()
    assert row.case is None and row.subject_id == setting["applicant"].id_number


@pytest.mark.django_db(transaction=True)
def test_a_committed_read_is_logged_once_not_twice():
    setting = _committed_setting()
    with transaction.atomic():
        _read(setting)
    assert verification_guards_wait(timeout=30)
    assert Verification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_read_in_a_savepoint_rolled_back_inside_a_committed_transaction_stays_logged():
    setting = _committed_setting()
    with transaction.atomic():
        with pytest.raises(Boom), transaction.atomic():
            _read(setting)
            raise Boom
        _read(setting, purpose="第二次核验")
    assert verification_guards_wait(timeout=30)
    assert sorted(Verification.objects.values_list("purpose", flat=True)) == [
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
