"""Submitting: accepted when complete, else one notice (一次性告知); uploads; acceptance by law."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from cases.constants import CaseState, MaterialStatus
from cases.models import Case, CaseEvent, CaseMaterial
from cases.services.intake import (
    NoticeRefusedError,
    UploadError,
    case_intake_submit,
    case_material_upload,
    case_request_materials,
    cases_deem_accepted,
    intake_start,
    notice_deadline,
)
from cases.workdays import add_working_days
from tests.cases.services.intake_catalogue import build_catalogue
from tests.factories import CaseFactory

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _start(catalogue, user, **kwargs):
    return intake_start(id_type="resident_id", id_number=catalogue.person_id, user=user, **kwargs)


def _upload(case, code, content=PDF, name="scan.pdf", user=None):
    # ContentFile keeps the name as given (an uploaded file's name is already cut to its base).
    return case_material_upload(
        case=case, material_type_code=code, file=ContentFile(content, name=name), actor=user
    )


def test_the_one_time_notice_lists_every_missing_material_with_items_and_legal_basis(
    catalogue, clerk
):
    result = _start(catalogue, clerk, bundle_code="OPEN_SHOP")
    submitted = case_intake_submit(case=result.case, user=clerk)
    case = submitted.case
    assert case.state == CaseState.PENDING_MATERIALS
    notice = CaseEvent.objects.get(case=case, name="request_materials")
    # ID card verified, licence produced in the case: the rest, complete, on the first try.
    assert notice.data["missing"] == ["LEASE", "PLAN"]
    lease = notice.data["entries"][0]
    assert [item["code"] for item in lease["items"]] == ["X001", "X002", "X003"]
    assert lease["items"][1]["legal_basis"] == "《食品安全法》第三十五条"
    assert "房屋租赁合同" in notice.note and "平面布局图" in notice.note


def test_a_complete_case_is_accepted_and_dispatched_with_its_promised_date(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    _upload(result.case, "LEASE", user=clerk)
    case = case_intake_submit(case=result.case, user=clerk).case
    assert case.state == CaseState.IN_REVIEW
    assert case.due_date == add_working_days(timezone.localdate(), 5)
    assert case.approvals.count() == 1


def test_after_the_supplement_the_case_is_accepted(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    case = case_intake_submit(case=result.case, user=clerk).case
    assert case.state == CaseState.PENDING_MATERIALS
    _upload(case, "LEASE", user=clerk)
    assert case_intake_submit(case=case, user=clerk).case.state == CaseState.IN_REVIEW


def test_a_second_notice_that_adds_materials_is_refused(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    case = case_intake_submit(case=result.case, user=clerk).case
    _upload(case, "LEASE", user=clerk)
    with pytest.raises(NoticeRefusedError) as error:
        case_intake_submit(case=case, user=clerk, defects={"ID_CARD": "照片模糊"})
    assert "不得追加告知" in str(error.value) and "ID_CARD" in str(error.value)
    case.refresh_from_db()
    assert case.state == CaseState.PENDING_MATERIALS  # nothing changed, not even the supplement
    assert CaseEvent.objects.filter(case=case, name="request_materials").count() == 1


def test_a_second_notice_repeating_what_is_still_missing_is_allowed(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    case = case_intake_submit(case=result.case, user=clerk).case
    again = case_intake_submit(case=case, user=clerk).case  # supplemented nothing
    assert again.state == CaseState.PENDING_MATERIALS
    assert CaseEvent.objects.filter(case=case, name="request_materials").count() == 2


def test_no_notice_after_five_working_days_and_the_case_is_deemed_accepted(catalogue, clerk):
    case = CaseFactory(state=CaseState.SUBMITTED, items=[catalogue.fourth])
    submitted_at = timezone.now() - dt.timedelta(days=30)
    Case.objects.filter(pk=case.pk).update(submitted_at=submitted_at)
    case.refresh_from_db()
    with pytest.raises(NoticeRefusedError) as error:
        case_request_materials(case=case, missing=["PLAN"], actor=clerk)
    assert "视为受理" in str(error.value)
    fresh = CaseFactory(state=CaseState.SUBMITTED, items=[catalogue.fourth])
    Case.objects.filter(pk=fresh.pk).update(submitted_at=timezone.now())
    accepted = cases_deem_accepted()
    assert [c.pk for c in accepted] == [case.pk]
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    event = CaseEvent.objects.get(case=case, name="accept")
    assert "视为受理" in event.note and "第三十二条" in event.note
    assert event.actor is None and event.actor_label == "系统"
    assert Case.objects.get(pk=fresh.pk).state == CaseState.SUBMITTED
    assert cases_deem_accepted() == []  # running again changes nothing


def test_the_notice_deadline_counts_working_days(db):  # the calendar reads entered years
    friday = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))
    assert notice_deadline(submitted_at=friday) == dt.date(2026, 11, 27)


def test_an_upload_is_hashed_typed_by_content_and_stored_under_our_own_name(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    material = _upload(result.case, "LEASE", content=PNG, name="合同 照片.pdf", user=clerk)
    material.refresh_from_db()
    assert material.status == MaterialStatus.UPLOADED
    assert material.sha256 == hashlib.sha256(PNG).hexdigest()
    assert material.content_type == "image/png"  # the bytes, not the name
    assert material.size == len(PNG)
    assert material.original_name == "合同 照片.pdf"
    assert "合同" not in material.file.name
    assert material.file.name.startswith(f"materials/{result.case.tracking_no}/LEASE-")
    assert material.file.read() == PNG


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 not a scan", "scan.pdf", "只接受 PDF、JPEG 或 PNG"),
        (PDF, "../../etc/passwd.pdf", "不能包含路径"),
        (PDF, "C:\\scans\\lease.pdf", "不能包含路径"),
        (b"", "empty.pdf", "空的"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(catalogue, clerk, content, name, message):
    result = _start(catalogue, clerk, item_codes=["X001"])
    with pytest.raises(UploadError) as error:
        _upload(result.case, "LEASE", content=content, name=name)
    assert message in str(error.value)
    assert CaseMaterial.objects.get(case=result.case, material_type__code="LEASE").status == (
        MaterialStatus.MISSING
    )


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    with pytest.raises(UploadError) as error:
        _upload(result.case, "LEASE", content=PDF + b"0" * 2048)
    assert "文件过大" in str(error.value)
    assert not CaseMaterial.objects.filter(case=result.case, sha256__gt="").exists()


def test_a_material_the_case_does_not_need_is_refused(catalogue, clerk):
    result = _start(catalogue, clerk, item_codes=["X001"])
    with pytest.raises(UploadError) as error:
        _upload(result.case, "PLAN")
    assert error.value.field == "material_type"
