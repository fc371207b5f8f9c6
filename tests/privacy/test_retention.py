"""A retention run on aged data deletes exactly what has expired of each kind, keeps the
rest, records the run, and leaves every audit chain verifiable (issue 19.6)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from cases.constants import CaseState, MaterialStatus, VerificationOutcome
from cases.models import CaseMaterial, Verification
from citizens.models import OneTimeCode, TrackFailure
from privacy.constants import RunStatus, RunTrigger
from privacy.models import AuditChainGap, RetentionRun
from privacy.retention import RETENTION_KINDS, register
from privacy.services.runs import retention_apply
from supervision.selectors.audit_chain import audit_chains_verify
from tests.factories import (
    CaseFactory,
    CaseMaterialFactory,
    DepartmentFactory,
    MaterialTypeFactory,
    RegistryFactory,
)

NOW = timezone.now()
YEARS_AGO_4 = NOW - dt.timedelta(days=4 * 365)
MONTHS_AGO_2 = NOW - dt.timedelta(days=60)


def _read(*, registry, department, case=None, created_at, subject_id="110101199003071233"):
    return Verification.objects.create(
        registry=registry,
        subject_id=subject_id,
        case=case,
        applicant=case.applicant if case else None,
        purpose="办理二孩生育登记核验户籍",
        requesting_department=department,
        outcome=VerificationOutcome.OK,
        request_sha256=hashlib.sha256(subject_id.encode()).hexdigest(),
        created_at=created_at,
    )


def _upload(*, case, material_type, content=b"%PDF-1.4 lease"):
    material = CaseMaterialFactory(
        case=case,
        material_type=material_type,
        status=MaterialStatus.UPLOADED,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content_type="application/pdf",
        original_name="租赁合同-张三.pdf",
    )
    material.file.save("lease.pdf", ContentFile(content), save=True)
    return material


@pytest.fixture
def aged(db):
    """Old and recent rows of every kind; each chain's shape is chosen to need a gap."""
    department = DepartmentFactory(code="I", name="成都市卫生健康委员会")
    registry = RegistryFactory(code="POPULATION", name="人口基础信息库")
    lease = MaterialTypeFactory(code="LEASE", name="租赁合同")
    old_case = CaseFactory(state=CaseState.CLOSED, closed_at=NOW - dt.timedelta(days=500))
    recent_case = CaseFactory(state=CaseState.CLOSED, closed_at=MONTHS_AGO_2)
    open_case = CaseFactory(state=CaseState.IN_REVIEW, applicant=old_case.applicant)

    # Data-access log of the old case: old, old-but-the-proof-of-a-material, old, recent.
    expired_first = _read(
        registry=registry, department=department, case=old_case, created_at=YEARS_AGO_4
    )
    proof = _read(registry=registry, department=department, case=old_case, created_at=YEARS_AGO_4)
    expired_second = _read(
        registry=registry, department=department, case=old_case, created_at=YEARS_AGO_4
    )
    kept_recent = _read(
        registry=registry, department=department, case=old_case, created_at=MONTHS_AGO_2
    )
    verified = MaterialTypeFactory(code="HUKOU", name="户口簿")
    CaseMaterialFactory(
        case=old_case, material_type=verified, status=MaterialStatus.VERIFIED, verification=proof
    )
    # A read without a case (chain 0) whose every row is expired: a gap at the chain's end.
    no_case_old = _read(registry=registry, department=department, created_at=YEARS_AGO_4)

    old_file = _upload(case=old_case, material_type=lease)
    recent_file = _upload(case=recent_case, material_type=MaterialTypeFactory(code="PLAN"))
    open_file = _upload(case=open_case, material_type=MaterialTypeFactory(code="SITE"))
    # An old upload that the open case reuses: its file stays while the open case needs it.
    relied_case = CaseFactory(
        state=CaseState.WITHDRAWN,
        closed_at=NOW - dt.timedelta(days=500),
        applicant=old_case.applicant,
    )
    relied_file = _upload(case=relied_case, material_type=MaterialTypeFactory(code="ID_COPY"))
    CaseMaterialFactory(
        case=open_case,
        material_type=relied_file.material_type,
        status=MaterialStatus.REUSED_MATERIAL,
        earlier_material=relied_file,
    )

    def code(created_at):
        return OneTimeCode.objects.create(
            subject_hash="a" * 64,
            code_hash="b" * 64,
            salt="c" * 32,
            created_at=created_at,
            expires_at=created_at + dt.timedelta(minutes=5),
            client_ip="203.0.113.9",
        )

    old_code, new_code = code(NOW - dt.timedelta(days=40)), code(NOW - dt.timedelta(hours=12))
    TrackFailure.objects.create(
        client="198.51.100.1", failures=3, window_ends=NOW - dt.timedelta(days=10)
    )
    TrackFailure.objects.create(
        client="198.51.100.2", failures=3, window_ends=NOW - dt.timedelta(hours=12)
    )
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        fields = {"username": "reviewer_b", "ip_address": "203.0.113.7", "user_agent": "pytest"}
        if model is AccessAttempt:
            fields.update(get_data="", post_data="", failures_since_start=1)
        old = model.objects.create(**fields)
        model.objects.create(**{**fields, "username": "reviewer_c"})
        model.objects.filter(pk=old.pk).update(attempt_time=NOW - dt.timedelta(days=200))
    return {
        "expired": [expired_first, expired_second, no_case_old],
        "kept": [proof, kept_recent],
        "old_file": old_file,
        "kept_files": [recent_file, open_file, relied_file],
        "old_code": old_code,
        "new_code": new_code,
    }


def _snapshot():
    return {
        "verifications": sorted(Verification.objects.values_list("pk", flat=True)),
        "files": sorted(CaseMaterial.objects.exclude(file="").values_list("pk", flat=True)),
        "codes": OneTimeCode.objects.count(),
        "track": TrackFailure.objects.count(),
        "axes": (
            AccessLog.objects.count(),
            AccessFailureLog.objects.count(),
            AccessAttempt.objects.count(),
        ),
        "runs": RetentionRun.objects.count(),
        "gaps": AuditChainGap.objects.count(),
    }


def test_a_run_deletes_exactly_what_expired_keeps_the_rest_and_is_recorded(aged):
    old_path = aged["old_file"].file.path
    run = retention_apply(trigger=RunTrigger.COMMAND)

    assert run.status == RunStatus.SUCCESS
    assert run.counts == {
        "material_files": 1,
        "data_access_log": 3,
        "batch_reads": 0,
        "sign_in_codes": 1,
        "track_failures": 1,
        "staff_sign_in": 3,
    }
    assert run.periods["data_access_log"] == 3 * 365
    assert RetentionRun.objects.get().counts == run.counts  # recorded as it went

    assert not Verification.objects.filter(pk__in=[v.pk for v in aged["expired"]]).exists()
    assert set(Verification.objects.values_list("pk", flat=True)) == {v.pk for v in aged["kept"]}

    old = CaseMaterial.objects.get(pk=aged["old_file"].pk)
    assert (old.file.name, old.original_name) == ("", "")
    assert old.sha256 == aged["old_file"].sha256 and old.size == aged["old_file"].size
    import os

    assert not os.path.exists(old_path)
    for material in aged["kept_files"]:
        material.refresh_from_db()
        assert material.file and os.path.exists(material.file.path)

    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [aged["new_code"].pk]
    assert list(TrackFailure.objects.values_list("client", flat=True)) == ["198.51.100.2"]
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        assert list(model.objects.values_list("username", flat=True)) == ["reviewer_c"]

    reports = audit_chains_verify()
    assert all(report.is_intact for report in reports), [r for r in reports if not r.is_intact]
    assert sum(report.removed for report in reports) == 3
    call_command("verify_audit")  # raises CommandError on a broken chain

    # The next run finds nothing more; new rows still chain on after the removed ranges.
    again = retention_apply(trigger=RunTrigger.SCHEDULE)
    assert set(again.counts.values()) == {0}
    case = aged["kept"][0].case
    _read(
        registry=aged["kept"][0].registry,
        department=aged["kept"][0].requesting_department,
        case=case,
        created_at=NOW,
    )
    _read(
        registry=aged["kept"][0].registry,
        department=aged["kept"][0].requesting_department,
        created_at=NOW,
    )
    assert all(report.is_intact for report in audit_chains_verify())


def test_later_removals_merge_with_the_recorded_ranges(aged):
    retention_apply()
    gaps_before = AuditChainGap.objects.count()
    # The recent row of the old case ages too: its range joins the one before the proof.
    with override_settings(RETENTION_DATA_ACCESS_LOG_DAYS=30):
        run = retention_apply()
    assert run.counts["data_access_log"] == 1
    assert AuditChainGap.objects.count() == gaps_before
    assert all(report.is_intact for report in audit_chains_verify())


def test_a_dry_run_counts_and_changes_nothing(aged):
    before = _snapshot()
    out = call_command_output("apply_retention", "--dry-run")
    assert _snapshot() == before
    assert "data_access_log: would delete or anonymise 3 (older than 1095 days)" in out
    assert "material_files: would delete or anonymise 1" in out
    assert os_exists(aged["old_file"])


def test_the_command_records_a_run(aged):
    out = call_command_output("apply_retention")
    run = RetentionRun.objects.get()
    assert run.trigger == RunTrigger.COMMAND and run.status == RunStatus.SUCCESS
    assert f"recorded as retention run {run.pk}" in out


def test_a_bad_period_stops_the_run_before_anything_changes(aged):
    before = _snapshot()
    with override_settings(RETENTION_SIGN_IN_CODES_DAYS=-1), pytest.raises(CommandError) as error:
        call_command("apply_retention")
    assert "RETENTION_SIGN_IN_CODES_DAYS" in str(error.value)
    assert _snapshot() == before


def test_a_zero_period_keeps_the_kind_without_limit(aged):
    with override_settings(RETENTION_DATA_ACCESS_LOG_DAYS=0):
        run = retention_apply()
    assert run.counts["data_access_log"] is None
    assert Verification.objects.count() == 5


def test_statements_do_not_grow_with_the_rows(aged):
    # One statement per kind per chunk: ten times the expired log rows, the same queries.
    from django.test.utils import CaptureQueriesContext

    case, proof = aged["kept"][0].case, aged["kept"][0]
    with CaptureQueriesContext(connection) as few:
        retention_apply()
    for _ in range(30):
        _read(
            registry=proof.registry,
            department=proof.requesting_department,
            case=case,
            created_at=YEARS_AGO_4,
        )
        _read(
            registry=proof.registry, department=proof.requesting_department, created_at=YEARS_AGO_4
        )
    with CaptureQueriesContext(connection) as many:
        run = retention_apply()
    assert run.counts["data_access_log"] == 60
    assert len(many.captured_queries) <= len(few.captured_queries) + 2
    assert all(report.is_intact for report in audit_chains_verify())


def test_small_chunks_keep_the_chains_verifiable(aged):
    with override_settings(RETENTION_CHUNK_SIZE=1):
        run = retention_apply()
    assert run.counts == {
        "material_files": 1,
        "data_access_log": 3,
        "batch_reads": 0,
        "sign_in_codes": 1,
        "track_failures": 1,
        "staff_sign_in": 3,
    }
    assert all(report.is_intact for report in audit_chains_verify())


def test_tampering_after_retention_still_shows(aged):
    retention_apply()
    kept = aged["kept"][1]
    with connection.cursor() as cursor:  # a row removed behind the application's back
        cursor.execute(f"DELETE FROM {Verification._meta.db_table} WHERE id = %s", [kept.pk])
    assert not all(report.is_intact for report in audit_chains_verify())


def test_a_range_recorded_over_rows_still_there_shows(aged):
    retention_apply()
    gap = AuditChainGap.objects.order_by("first_position").first()
    kept_positions = Verification.objects.filter(chain=aged["kept"][0].chain).values_list(
        "chain_position", flat=True
    )
    AuditChainGap.objects.filter(pk=gap.pk).update(last_position=max(kept_positions) + 5)
    assert not all(report.is_intact for report in audit_chains_verify())


def test_another_app_registers_its_own_kind(aged):
    seen = {}

    def lottery_reads_expire(*, cutoff, dry_run, run):
        seen.update(cutoff=cutoff, dry_run=dry_run, run=run)
        return 7

    register(
        kind="test_lottery_reads",
        setting_name="RETENTION_TEST_LOTTERY_DAYS",
        apply=lottery_reads_expire,
        label="摇号批量查询记录",
    )
    try:
        with override_settings(RETENTION_TEST_LOTTERY_DAYS=10):
            run = retention_apply()
    finally:
        RETENTION_KINDS.pop("test_lottery_reads")
    assert run.counts["test_lottery_reads"] == 7
    assert seen["run"] == run and seen["dry_run"] is False
    assert abs((run.started_at - seen["cutoff"]) - dt.timedelta(days=10)) < dt.timedelta(seconds=1)


def test_sign_in_codes_go_in_the_nightly_run_after_a_day_by_default(db, settings):
    """One path deletes one-time codes: the scheduled retention run, with its setting."""
    from django.conf import settings as project_settings

    from privacy.tasks import apply_retention

    assert project_settings.RETENTION_SIGN_IN_CODES_DAYS == 1
    scheduled = {entry["task"] for entry in project_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "privacy.apply_retention" in scheduled
    assert not {task for task in scheduled if task.startswith("citizens.")}

    def code(age):
        created_at = timezone.now() - age
        return OneTimeCode.objects.create(
            subject_hash="a" * 64,
            code_hash="b" * 64,
            salt="c" * 32,
            created_at=created_at,
            expires_at=created_at + dt.timedelta(minutes=5),
            client_ip="203.0.113.9",
        )

    aged = [code(dt.timedelta(hours=25)), code(dt.timedelta(days=3))]
    kept = [code(dt.timedelta(hours=23)), code(dt.timedelta(minutes=1))]
    run = RetentionRun.objects.get(pk=apply_retention())
    assert run.trigger == RunTrigger.SCHEDULE
    assert run.counts["sign_in_codes"] == len(aged)
    assert run.periods["sign_in_codes"] == 1
    assert set(OneTimeCode.objects.values_list("pk", flat=True)) == {row.pk for row in kept}

    settings.RETENTION_SIGN_IN_CODES_DAYS = 30
    code(dt.timedelta(days=3))
    assert retention_apply().counts["sign_in_codes"] == 0


def test_batch_reads_past_their_period_go_whole_with_their_subjects(db):
    from sharing.models import BatchRead, BatchReadSubject, SharingPurpose
    from tests.batch_reads import batch_read_logged

    transport = DepartmentFactory(code="JT", name="成都市交通运输局")
    vehicles = RegistryFactory(code="VEHICLE", name="机动车登记信息库")
    old_round = SharingPurpose.objects.create(
        key="lottery:2022-1", purpose="2022年第1期小客车指标摇号资格审核", department=transport
    )
    new_round = SharingPurpose.objects.create(
        key="lottery:2026-6", purpose="2026年第6期小客车指标摇号资格审核", department=transport
    )
    people = [f"11010119900307{n:04d}" for n in range(5)]
    expired = [
        batch_read_logged(
            purpose=old_round, registry=vehicles, subject_ids=people[:3], created_at=YEARS_AGO_4
        ),
        batch_read_logged(
            purpose=old_round, registry=vehicles, subject_ids=people[3:], created_at=YEARS_AGO_4
        ),
    ]
    kept = batch_read_logged(
        purpose=new_round, registry=vehicles, subject_ids=people, created_at=MONTHS_AGO_2
    )

    assert retention_apply(dry_run=True).counts["batch_reads"] == 5 + 2
    assert BatchReadSubject.objects.count() == 10 and BatchRead.objects.count() == 3

    with override_settings(RETENTION_CHUNK_SIZE=2):
        run = retention_apply()
    assert run.counts["batch_reads"] == 5 + 2
    assert run.periods["batch_reads"] == 3 * 365
    assert not BatchRead.objects.filter(pk__in=[read.pk for read in expired]).exists()
    assert list(BatchRead.objects.values_list("pk", flat=True)) == [kept.pk]
    assert set(BatchReadSubject.objects.values_list("read_id", "subject_id")) == {
        (kept.pk, person) for person in people
    }
    # The rounds' purposes are no one's personal data: they stay.
    assert SharingPurpose.objects.count() == 2
    assert retention_apply().counts["batch_reads"] == 0


def call_command_output(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def os_exists(material):
    import os

    material.refresh_from_db()
    return bool(material.file) and os.path.exists(material.file.path)
