"""Intake on the demo catalogue: the second-child permit from the ID number alone, the restaurant."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cases.constants import MaterialStatus
from cases.models import Verification
from cases.services.intake import intake_start
from departments.models import RegistryRecord, ServiceItem
from departments.services.demo import demo_load


@pytest.fixture
def demo(db):
    demo_load(force=True)
    return get_user_model().objects.get(username="clerk")


def test_the_second_child_permit_is_filled_from_the_id_number_alone(demo):
    record = (
        RegistryRecord.objects.filter(registry__code="POPULATION", data__marital_status="已婚")
        .exclude(data__spouse_id="")
        .first()
    )
    result = intake_start(
        id_type="resident_id",
        id_number=record.subject_id,
        bundle_code="SECOND_CHILD_PERMIT",
        user=demo,
    )
    case = result.case
    case.applicant.refresh_from_db()
    assert case.applicant.name == record.data["name"]
    assert case.applicant.address == record.data["address"]
    assert case.applicant.phone == record.data["phone"]
    fields = ServiceItem.objects.get(code="I002").form_fields
    filled = case.form_data["I002"]
    for spec in fields:
        key = spec["prefill"].split(".", 1)[1]
        assert filled[spec["name"]] == record.data[key], spec["name"]
    # Nothing to hand over: ID card, household register and marriage all verified.
    assert {entry.status for entry in result.checklist} == {MaterialStatus.VERIFIED}
    assert all(row.purpose for row in Verification.objects.filter(case=case))


def test_open_a_restaurant_asks_each_shared_material_once(demo):
    record = RegistryRecord.objects.filter(registry__code="LEGAL_PERSON").first()
    result = intake_start(
        id_type="uscc", id_number=record.subject_id, bundle_code="OPEN_RESTAURANT", user=demo
    )
    codes = [entry.material_type.code for entry in result.checklist]
    assert len(codes) == len(set(codes))
    assert {"ID_CARD", "LEASE_CONTRACT", "FLOOR_PLAN"} <= set(codes)
    statuses = {entry.material_type.code: entry.status for entry in result.checklist}
    assert statuses["NAME_APPROVAL"] == MaterialStatus.PRODUCED_IN_CASE
    assert statuses["BUSINESS_LICENCE"] in (
        MaterialStatus.PRODUCED_IN_CASE,
        MaterialStatus.VERIFIED,
    )
