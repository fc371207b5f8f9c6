"""``manage.py lottery_verify`` and ``manage.py lottery_draw``: their output, their refusals
(exit code non-zero, nothing changed), a rerun that verifies only what is unfinished, and
a draw that ``tools/verify_draw.py`` re-runs to the same winners."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.constants import JobState
from cases.models import Job
from cases.services import jobs
from departments.models import SharingAgreement
from lottery.constants import ApplicationState
from lottery.models import Application, Round
from sharing.models import BatchReadSubject
from tests.lottery.conftest import SEED_HEX, SEED_SHA256

pytestmark = pytest.mark.django_db(transaction=True)

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"


def run(name: str, *arguments: str) -> str:
    output = StringIO()
    call_command(name, *arguments, stdout=output, stderr=StringIO())
    return output.getvalue()


def refusal(name: str, *arguments: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        run(name, *arguments)
    assert raised.value.returncode != 0
    return raised.value


def round_snapshot(round_: Round) -> dict:
    round_.refresh_from_db()
    fields = (
        "seed",
        "pool_sha256",
        "pool_version",
        "drawn_at",
        "appeals_closed_at",
        "verification_runs",
    )
    return {
        "round": {field: getattr(round_, field) for field in fields},
        "applications": sorted(
            Application.objects.filter(round=round_).values_list(
                "application_no", "state", "draw_rank", "verified_at"
            )
        ),
    }


@pytest.fixture
def mixed_round(open_round, person_apply, organisation_apply, closed):
    """A closed round: three eligible persons, one without a licence, one with a car, one
    with neither a Beijing household nor five years of tax, an eligible company."""
    round_ = open_round(quota=2)
    for n in range(3):
        person_apply(round_, n)
    person_apply(round_, 10, records={"DRIVING_LICENCE": None})
    person_apply(round_, 11, records={"VEHICLE": {"passenger_cars": 1}})
    person_apply(
        round_,
        12,
        records={
            "POPULATION": {"status": "正常", "hukou_city": "成都市"},
            "SOCIAL_INSURANCE": {"consecutive_months": 72},
            "INCOME_TAX": {"consecutive_months": 20},
        },
    )
    organisation_apply(round_, 1)
    return closed(round_)


def test_verify_refuses_an_unknown_round():
    error = refusal("lottery_verify", "1999-1")
    assert "没有代码为“1999-1”的摇号轮次" in str(error)


def test_verify_refuses_a_round_still_open_and_changes_nothing(open_round, person_apply):
    round_ = open_round()
    person_apply(round_, 0)
    before = round_snapshot(round_)

    error = refusal("lottery_verify", round_.code, "--no-progress")

    assert "仍在申请期内" in str(error) and round_.code in str(error)
    assert round_snapshot(round_) == before
    assert not BatchReadSubject.objects.exists()


def test_verify_prints_the_summary_per_state_and_per_rule(mixed_round):
    output = run("lottery_verify", mixed_round.code, "--no-progress")

    assert "7 份申请，分 1 批" in output
    assert "审核通过：4" in output
    assert "审核未通过：3" in output
    assert "待核验（共享数据库暂不可用）：0" in output
    assert "LICENCE_STATUS 机动车驾驶证状态不正常：1" in output
    assert "LICENCE_VALID 机动车驾驶证在申请截止日前已过有效期：1" in output
    assert "NO_PASSENGER_CAR 名下已有登记的小客车：1" in output
    assert "RESIDENCE 非本市户籍，且在本市连续缴纳社会保险和个人所得税不满60个月：1" in output
    assert "用时" in output and "资格审核已完成。" in output
    assert not Application.objects.filter(state=ApplicationState.SUBMITTED).exists()


def test_an_unavailable_registry_leaves_pending_and_a_rerun_verifies_only_those(
    mixed_round, lottery_world
):
    SharingAgreement.objects.filter(
        consumer=lottery_world.transport, registry=lottery_world.registries["INCOME_TAX"]
    ).update(is_active=False)

    output = run("lottery_verify", mixed_round.code, "--no-progress")

    # The six persons wait for the income-tax registry; the company was decided.
    assert "待核验（共享数据库暂不可用）：6" in output
    assert "个人所得税纳税信息库（INCOME_TAX）：6 份" in output
    assert "还有 6 份申请未完成核验" in output
    company = Application.objects.get(round=mixed_round, applicant__id_type="uscc")
    assert company.state == ApplicationState.ELIGIBLE
    decided_at = company.verified_at
    reads_before = BatchReadSubject.objects.count()

    SharingAgreement.objects.update(is_active=True)
    output = run("lottery_verify", mixed_round.code, "--no-progress")

    assert "第 2 次核验：6 份申请，分 1 批" in output
    assert "审核通过：4" in output and "审核未通过：3" in output
    assert "待核验（共享数据库暂不可用）：0" in output
    company.refresh_from_db()
    assert company.verified_at == decided_at
    # The rerun read only the registry that had failed, for the six persons.
    assert BatchReadSubject.objects.count() == reads_before + 6

    output = run("lottery_verify", mixed_round.code, "--no-progress")
    assert "没有需要核验的申请" in output
    assert BatchReadSubject.objects.count() == reads_before + 6


def test_no_wait_only_starts_the_run(mixed_round):
    output = run("lottery_verify", mixed_round.code, "--no-progress", "--no-wait")

    assert "7 份申请，分 1 批" in output
    assert "后台" in output
    assert "审核通过" not in output


def test_draw_refuses_an_unknown_round():
    error = refusal("lottery_draw", "1999-1", "--seed", SEED_HEX)
    assert "1999-1" in str(error)


def test_a_wrong_seed_is_refused_with_the_services_message_and_changes_nothing(mixed_round):
    run("lottery_verify", mixed_round.code, "--no-progress")
    before = round_snapshot(mixed_round)

    error = refusal("lottery_draw", mixed_round.code, "--seed", "00" * 32)
    assert "种子的SHA-256与开放申请时公布的承诺不符，未摇号。" in str(error)
    error = refusal("lottery_draw", mixed_round.code, "--seed", "not hex")
    assert "十六进制" in str(error)

    assert round_snapshot(mixed_round) == before


def test_draw_refuses_a_round_not_verified_yet(mixed_round):
    before = round_snapshot(mixed_round)

    error = refusal("lottery_draw", mixed_round.code, "--seed", SEED_HEX)

    assert "未完成资格审核" in str(error)
    assert round_snapshot(mixed_round) == before


def test_verify_refuses_a_drawn_round(mixed_round):
    run("lottery_verify", mixed_round.code, "--no-progress")
    run("lottery_draw", mixed_round.code, "--seed", SEED_HEX)
    before = round_snapshot(mixed_round)

    error = refusal("lottery_verify", mixed_round.code, "--no-progress")

    assert "已于" in str(error) and "摇号" in str(error)
    assert round_snapshot(mixed_round) == before


def test_the_draw_prints_its_result_and_verify_draw_finds_the_same_winners(
    open_round, person_apply, closed
):
    round_ = open_round(quota=7)
    applications = [person_apply(round_, n) for n in range(30)]
    # Weights 1 to 4 (as many rounds lost as the stepped odds reward).
    for index, application in enumerate(applications):
        Application.objects.filter(pk=application.pk).update(weight=1 + index % 4)
    round_ = closed(round_)
    run("lottery_verify", round_.code, "--no-progress")

    output = run("lottery_draw", round_.code, "--seed", SEED_HEX, "--show", "3")

    round_.refresh_from_db()
    won = list(
        Application.objects.filter(round=round_, state=ApplicationState.WON)
        .order_by("draw_rank")
        .values_list("lottery_code", flat=True)
    )
    assert len(won) == 7
    assert Application.objects.filter(round=round_, state=ApplicationState.NOT_WON).count() == 23
    assert f"资格池SHA-256：{round_.pool_sha256}" in output
    assert f"种子SHA-256（承诺）：{SEED_SHA256}" in output
    assert "资格池：30 份申请" in output
    assert "中签：7 份（指标 7 个），未中签：23 份。" in output
    assert "中签顺序（前 3 名）：" in output
    for code in won[:3]:
        assert code in output
    assert won[3] not in output
    assert "用时" in output

    pool = default_storage.path(round_.pool_file)
    assert {int(line.split(",")[1]) for line in Path(pool).read_text().splitlines()} == {1, 2, 3, 4}
    done = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            pool,
            "--seed",
            SEED_HEX,
            "--quota",
            str(round_.quota),
            "--pool-sha256",
            round_.pool_sha256,
            "--seed-sha256",
            round_.seed_sha256,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == won

    # A second draw is refused and changes nothing.
    before = round_snapshot(round_)
    error = refusal("lottery_draw", round_.code, "--seed", SEED_HEX)
    assert "本轮已经摇号" in str(error)
    assert round_snapshot(round_) == before


@pytest.fixture
def worker(settings):
    """Full mode without a broker: the outbox's messages go to a list, and a worker thread
    (its own database connection) runs them a little later, while the command polls."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[int] = []
    real = jobs.job_publisher_register(lambda job_id, queue: sent.append(job_id))
    ran: list[int] = []

    def work() -> None:
        try:
            deadline = time.monotonic() + 30
            while not sent and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.5)  # the command is polling by now
            while sent:
                job_id = sent.pop(0)
                jobs.job_run(job_id=job_id)
                ran.append(job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    yield ran
    thread.join(timeout=60)
    jobs.job_publisher_register(real)


def test_in_full_mode_the_command_waits_for_the_workers(mixed_round, worker):
    started = time.monotonic()

    output = run("lottery_verify", mixed_round.code, "--no-progress")

    assert time.monotonic() - started >= 1.5
    assert Job.objects.filter(pk__in=worker, kind="lottery_verify_chunk").count() == 1
    assert "嵌入模式" not in output
    assert "审核通过：4" in output and "审核未通过：3" in output
    assert "资格审核已完成。" in output
    assert not Job.objects.filter(
        kind="lottery_verify_chunk", state__in=[JobState.PENDING, JobState.RUNNING]
    ).exists()
