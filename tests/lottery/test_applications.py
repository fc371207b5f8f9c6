"""Applying to a round (issue 16.2): one application per applicant per round, numbers and
lottery codes, weights from rounds lost, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.constants import IdType
from cases.models import Applicant
from lottery.constants import ApplicationState, Channel
from lottery.models import Application
from lottery.services.applications import application_submit, lottery_code_for
from lottery.services.errors import AlreadyAppliedError, LotteryError, RoundNotOpenError
from lottery.services.rounds import round_create
from tests.factories import resident_id, uscc
from tests.lottery.conftest import SEED_SHA256

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_application_gets_a_number_a_lottery_code_and_one_ticket(open_round, person_apply):
    round_ = open_round(code="2026-6")
    first = person_apply(round_, 1)
    second = person_apply(round_, 2)
    assert (first.application_no, second.application_no) == ("2026-6-0000001", "2026-6-0000002")
    assert len(first.lottery_code) == 13 and first.lottery_code.isdigit()
    assert first.lottery_code != second.lottery_code
    assert (first.state, first.weight, first.channel) == (
        ApplicationState.SUBMITTED,
        1,
        Channel.ONLINE,
    )


def test_lottery_codes_never_repeat_within_a_round():
    codes = {lottery_code_for(round_code="2026-6", sequence=n) for n in range(1, 200_001)}
    assert len(codes) == 200_000


def test_a_second_application_answers_with_the_first_number_and_writes_nothing(
    open_round, person_apply
):
    round_ = open_round()
    first = person_apply(round_, 1)
    with pytest.raises(AlreadyAppliedError) as refused:
        application_submit(
            round_=round_,
            id_type=IdType.RESIDENT_ID,
            id_number=resident_id(1).lower(),
            name="又一次",
        )
    assert refused.value.application_no == first.application_no
    assert first.application_no in str(refused.value)
    assert Application.objects.count() == 1


@pytest.mark.postgresql
def test_two_applications_at_the_same_moment_make_one(open_round, lottery_world):
    """The unique constraint decides, not a read before the write."""
    round_ = open_round()
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def apply() -> None:
        barrier.wait()
        try:
            outcomes.append(
                application_submit(
                    round_=round_, id_type=IdType.RESIDENT_ID, id_number=resident_id(5), name="张三"
                )
            )
        except AlreadyAppliedError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Application.objects.count() == 1
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["AlreadyAppliedError", "Application"]


@pytest.mark.parametrize(
    ("id_type", "id_number", "message"),
    [
        (IdType.RESIDENT_ID, "110101199003070000", "校验"),
        (IdType.RESIDENT_ID, "", ""),
        ("passport", "E12345678", "证件类型必须是"),
        (IdType.USCC, "91110000MA01ABCDE0", ""),
    ],
)
def test_an_invalid_identity_is_refused_with_a_message(open_round, id_type, id_number, message):
    round_ = open_round()
    with pytest.raises(LotteryError) as refused:
        application_submit(round_=round_, id_type=id_type, id_number=id_number, name="张三")
    assert str(refused.value)
    assert message in str(refused.value)
    assert refused.value.field in ("id_number", "id_type")
    assert not Application.objects.exists() and not Applicant.objects.exists()


def test_a_round_not_open_is_refused(lottery_world):
    now = timezone.now()
    later = round_create(
        code="2027-1",
        name="2027年第1期",
        quota=10,
        applications_open=now + dt.timedelta(days=1),
        applications_close=now + dt.timedelta(days=2),
        seed_sha256=SEED_SHA256,
        rule_set=lottery_world.rule_set,
    )
    with pytest.raises(RoundNotOpenError):
        application_submit(
            round_=later, id_type=IdType.RESIDENT_ID, id_number=resident_id(1), name="张三"
        )
    assert not Application.objects.exists()


def test_a_name_with_a_rare_character_is_kept_and_a_bad_name_refused(open_round):
    round_ = open_round()
    kept = application_submit(
        round_=round_, id_type=IdType.RESIDENT_ID, id_number=resident_id(3), name="𠮷野家"
    )
    assert Applicant.objects.get(pk=kept.applicant_id).name == "𠮷野家"
    with pytest.raises(LotteryError, match="姓名"):
        application_submit(
            round_=round_, id_type=IdType.RESIDENT_ID, id_number=resident_id(4), name="  "
        )


def test_an_organisation_applies_with_its_credit_code(open_round, organisation_apply):
    application = organisation_apply(open_round(), 3)
    assert application.applicant.id_number == uscc(3)


def test_six_rounds_lost_give_a_second_ticket(open_round, person_apply, lottery_world):
    rounds = [open_round(code=f"2025-{n}") for n in range(1, 7)]
    for round_ in rounds:
        person_apply(round_, 1)
    Application.objects.update(state=ApplicationState.NOT_WON)
    assert person_apply(open_round(code="2026-1"), 1).weight == 2
    assert person_apply(open_round(code="2026-2"), 2).weight == 1


def test_a_round_with_a_bad_seed_commitment_or_dates_is_refused(lottery_world):
    now = timezone.now()
    base = dict(
        code="2026-9",
        name="第9期",
        quota=5,
        applications_open=now,
        applications_close=now + dt.timedelta(days=1),
        seed_sha256=SEED_SHA256,
        rule_set=lottery_world.rule_set,
    )
    for change, field in (
        ({"seed_sha256": "abc"}, "seed_sha256"),
        ({"code": "bad code"}, "code"),
        ({"applications_close": now - dt.timedelta(days=1)}, None),
        ({"quota": 0}, None),
    ):
        with pytest.raises(LotteryError) as refused:
            round_create(**{**base, **change})
        assert str(refused.value)
        if field:
            assert refused.value.field == field
    from lottery.models import Round

    assert not Round.objects.exists()
