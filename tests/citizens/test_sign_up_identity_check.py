# ruff: noqa: F811 (the sign-up fixtures are imported from test_sign_up)
"""The sharing gateway's ``identity_check``: a read of who someone is, for no case, under
every rule the gateway keeps (purpose, agreement, one log row, outside transactions)."""

import pytest
from django.db import transaction

from cases.constants import VerificationOutcome
from cases.models import Verification
from cases.services.sharing import (
    CaseRequiredError,
    PurposeRequiredError,
    RegistryReadInTransactionError,
    registry_read,
)
from departments.models import SharingAgreement
from tests.factories import CaseFactory

from .test_sign_up import PERSON_ID, PERSON_NAME, population, window  # noqa: F401


def read(population, window, **overrides):
    arguments = {
        "registry": population,
        "subject_id": PERSON_ID,
        "purpose": "实名核验（网上注册）",
        "department": window,
        "case": None,
        "identity_check": True,
    }
    arguments.update(overrides)
    return registry_read(**arguments)


def test_identity_check_reads_without_a_case_and_logs_one_row(population, window):
    reading = read(population, window)
    assert reading.outcome == VerificationOutcome.OK and reading.data["name"] == PERSON_NAME
    [row] = Verification.objects.all()
    assert row.case is None and row.purpose == "实名核验（网上注册）"
    assert row.requesting_department == window and row.response_sha256


def test_identity_check_still_needs_the_consumers_agreement(population, window):
    SharingAgreement.objects.update(is_active=False)
    reading = read(population, window)
    assert reading.outcome == VerificationOutcome.DENIED and reading.data is None
    assert Verification.objects.get().outcome == VerificationOutcome.DENIED


def test_identity_check_still_needs_a_purpose(population, window):
    with pytest.raises(PurposeRequiredError):
        read(population, window, purpose="  ")
    assert not Verification.objects.exists()


def test_without_identity_check_a_case_is_still_required(population, window):
    with pytest.raises(CaseRequiredError):
        read(population, window, identity_check=False)
    assert not Verification.objects.exists()


def test_identity_check_never_has_a_case_nor_opens_one(population, window):
    with pytest.raises(ValueError, match="has no case"):
        read(population, window, case=CaseFactory())
    with pytest.raises(ValueError, match="not both"):
        read(population, window, opening_case=True)
    assert not Verification.objects.exists()


def test_identity_check_is_refused_inside_a_transaction(population, window):
    with pytest.raises(RegistryReadInTransactionError), transaction.atomic():
        read(population, window)
    assert not Verification.objects.exists()
