"""The batch run (issue 16.4): set-based, a failing registry leaves its applicants pending
and a rerun reads only what is missing, appeals re-read the registries (issue 16.5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from departments.constants import ConnectorKind
from departments.models import RegistryRecord, SharingAgreement
from lottery.constants import ApplicationState
from lottery.models import Application, Round
from lottery.services.applications import appeal_decide, application_appeal
from lottery.services.errors import LotteryError
from lottery.services.verification import (
    Verdict,
    _verdicts_write_orm,
    _verdicts_write_postgresql,
    round_failures_by_rule,
    round_progress,
    round_verification_start,
)
from sharing.models import BatchOutcome, BatchRead, BatchReadSubject
from tests.factories import resident_id
from tests.lottery.conftest import records_set

pytestmark = pytest.mark.django_db(transaction=True)


def states() -> dict[str, str]:
    return dict(Application.objects.values_list("application_no", "state"))


def test_a_round_still_open_or_drawn_is_not_verified(open_round, person_apply):
    round_ = open_round()
    person_apply(round_, 1)
    with pytest.raises(LotteryError, match="尚未截止"):
        round_verification_start(round_=round_)
    assert Application.objects.get().state == ApplicationState.SUBMITTED
    assert not BatchRead.objects.exists()


def test_one_query_per_registry_per_chunk_not_per_person(
    open_round, person_apply, closed, settings
):
    settings.LOTTERY_CHUNK_SIZE = 10
    round_ = open_round()
    for n in range(25):
        person_apply(round_, n)
    round_ = closed(round_)
    with CaptureQueriesContext(connection) as queries:
        start = round_verification_start(round_=round_)
    assert (start.chunks, start.applications) == (3, 25)
    record_reads = [q["sql"] for q in queries if "departments_registryrecord" in q["sql"]]
    assert len(record_reads) == 3 * 5  # 3 chunks × 5 person registries
    assert BatchRead.objects.count() == 15
    assert BatchReadSubject.objects.count() == 25 * 5
    assert round_progress(round_=round_).states == {ApplicationState.ELIGIBLE: 25}


def test_a_failing_http_registry_leaves_its_applicants_pending_and_a_rerun_finishes_them(
    open_round, person_apply, closed, lottery_world, registry_server, settings
):
    settings.REGISTRY_HTTP_ALLOW_PLAIN_HTTP = True
    settings.REGISTRY_HTTP_RETRIES = 1
    settings.REGISTRY_HTTP_BACKOFF = 0.01
    tax = lottery_world.registries["INCOME_TAX"]
    tax.connector = ConnectorKind.HTTP
    tax.endpoint_url = registry_server.url
    tax.save()
    round_ = open_round()
    applications = [person_apply(round_, n) for n in range(4)]
    # The tax bureau answers from its own system: person 3 is an outsider with 12 months.
    RegistryRecord.objects.filter(registry=tax).delete()
    registry_server.registries["INCOME_TAX"] = {
        resident_id(n): {"consecutive_months": 80} for n in range(3)
    }
    records_set(
        lottery_world.registries,
        resident_id(3),
        {
            "POPULATION": {"status": "正常", "hukou_city": "成都市"},
            "SOCIAL_INSURANCE": {"consecutive_months": 70},
        },
    )
    registry_server.fail()
    round_ = closed(round_)
    round_verification_start(round_=round_)

    pending = Application.objects.get(pk=applications[0].pk)
    assert pending.state == ApplicationState.PENDING_REGISTRY  # never ineligible
    assert pending.reasons == [
        {
            "rule": "",
            "registry": "INCOME_TAX",
            "message": "个人所得税纳税信息库暂时无法读取，稍后将自动重新核验。",
        }
    ]
    assert set(pending.facts) == {"POPULATION", "DRIVING_LICENCE", "VEHICLE", "SOCIAL_INSURANCE"}
    assert set(states().values()) == {ApplicationState.PENDING_REGISTRY}
    assert BatchRead.objects.filter(registry=tax, outcome=BatchOutcome.ERROR).count() == 1
    assert BatchReadSubject.objects.count() == 4 * 4  # the four registries that answered
    local_reads = BatchRead.objects.exclude(registry=tax).count()

    registry_server.heal()
    requests_before = registry_server.batch_request_count
    round_verification_start(round_=round_)
    assert registry_server.batch_request_count == requests_before + 1
    assert BatchRead.objects.exclude(registry=tax).count() == local_reads  # not read again
    assert BatchReadSubject.objects.count() == 4 * 5
    final = states()
    assert [final[a.application_no] for a in applications] == [
        ApplicationState.ELIGIBLE,
        ApplicationState.ELIGIBLE,
        ApplicationState.ELIGIBLE,
        ApplicationState.INELIGIBLE,
    ]
    assert Application.objects.filter(facts__isnull=False).count() == 0
    assert round_failures_by_rule(round_=round_) == {"RESIDENCE": 1}
    # A third run has nothing left to do.
    assert round_verification_start(round_=round_).chunks == 0


def test_a_registry_without_an_agreement_leaves_its_applicants_pending(
    open_round, person_apply, closed, lottery_world
):
    SharingAgreement.objects.filter(registry=lottery_world.registries["VEHICLE"]).delete()
    round_ = open_round()
    person_apply(round_, 1)
    round_verification_start(round_=closed(round_))
    application = Application.objects.get()
    assert application.state == ApplicationState.PENDING_REGISTRY
    assert [reason["registry"] for reason in application.reasons] == ["VEHICLE"]
    assert BatchRead.objects.filter(outcome=BatchOutcome.DENIED).count() == 1


def test_an_appeal_after_the_bureau_corrected_its_data_makes_the_applicant_eligible(
    open_round, person_apply, closed, lottery_world
):
    round_ = open_round()
    person_apply(round_, 1)
    appellant = person_apply(round_, 2, records={"VEHICLE": {"passenger_cars": 1}})
    round_verification_start(round_=closed(round_))
    round_.refresh_from_db()
    assert round_.pool_entries == 1
    first_pool = round_.pool_sha256

    appellant.refresh_from_db()
    assert appellant.state == ApplicationState.INELIGIBLE
    # The vehicle was sold; the bureau corrects its registry; the applicant appeals.
    records_set(lottery_world.registries, resident_id(2), {"VEHICLE": {"passenger_cars": 0}})
    appealed = application_appeal(application=appellant, note="车辆已于上月过户")
    assert appealed.state == ApplicationState.ELIGIBLE and appealed.reasons == []
    assert appealed.appeal_note == "车辆已于上月过户"
    round_.refresh_from_db()
    assert round_.pool_entries == 2 and round_.pool_sha256 != first_pool  # published again
    # The appeal's reads are logged under their own purpose.
    assert BatchReadSubject.objects.filter(subject_id=resident_id(2)).count() == 10
    with pytest.raises(LotteryError, match="只有审核未通过"):
        application_appeal(application=appealed, note="再次")


def test_an_appeal_still_failing_goes_to_the_officer_who_decides_with_a_reason(
    open_round, person_apply, closed, lottery_world
):
    round_ = open_round()
    appellant = person_apply(round_, 2, records={"VEHICLE": {"passenger_cars": 1}})
    round_verification_start(round_=closed(round_))
    appellant.refresh_from_db()
    appealed = application_appeal(application=appellant, note="车辆已报废")
    assert appealed.state == ApplicationState.APPEALED
    assert [reason["rule"] for reason in appealed.reasons] == ["NO_PASSENGER_CAR"]
    with pytest.raises(LotteryError, match="复核决定理由"):
        appeal_decide(application=appealed, eligible=True, reason=" ", user=lottery_world.officer)
    assert Application.objects.get().state == ApplicationState.APPEALED
    decided = appeal_decide(
        application=appealed, eligible=True, reason="报废证明已核实", user=lottery_world.officer
    )
    assert decided.state == ApplicationState.ELIGIBLE
    assert (decided.decision_reason, decided.decided_by) == (
        "报废证明已核实",
        lottery_world.officer,
    )
    assert Round.objects.get().pool_entries == 1


def test_a_bad_appeal_note_changes_nothing(open_round, person_apply, closed):
    round_ = open_round()
    appellant = person_apply(round_, 2, records={"VEHICLE": {"passenger_cars": 1}})
    round_verification_start(round_=closed(round_))
    appellant.refresh_from_db()
    reads = BatchRead.objects.count()
    with pytest.raises(LotteryError, match="500"):
        application_appeal(application=appellant, note="长" * 501)
    assert Application.objects.get().state == ApplicationState.INELIGIBLE
    assert BatchRead.objects.count() == reads


@pytest.mark.postgresql
def test_the_verdicts_statement_writes_what_the_orm_writes(open_round, person_apply, closed):
    round_ = open_round()
    applications = [person_apply(round_, n) for n in range(6)]
    closed(round_)
    verdicts = [
        Verdict(
            application_id=application.pk,
            state=[
                ApplicationState.ELIGIBLE,
                ApplicationState.INELIGIBLE,
                ApplicationState.PENDING_REGISTRY,
            ][index % 3],
            reasons=[{"rule": "R", "registry": "X", "message": f"原因𠮷{index}"}]
            if index % 3
            else [],
            facts={"VEHICLE": None} if index % 3 == 2 else None,
        )
        for index, application in enumerate(applications)
    ]
    Application.objects.filter(pk=applications[5].pk).update(state=ApplicationState.ELIGIBLE)
    now = timezone.now()
    sql_states = _verdicts_write_postgresql(round_id=round_.pk, verdicts=verdicts[:3], now=now)
    orm_states = _verdicts_write_orm(round_id=round_.pk, verdicts=verdicts[3:], now=now)
    assert sorted(sql_states) == sorted(v.state for v in verdicts[:3])
    assert sorted(orm_states) == sorted(v.state for v in verdicts[3:5])  # 5 was decided already
    rows = {
        pk: (state, reasons, facts)
        for pk, state, reasons, facts in Application.objects.values_list(
            "pk", "state", "reasons", "facts"
        )
    }
    for verdict in verdicts[:5]:
        assert rows[verdict.application_id] == (verdict.state, verdict.reasons, verdict.facts)
    assert rows[applications[5].pk][0] == ApplicationState.ELIGIBLE
