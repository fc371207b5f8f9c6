"""The lottery API (lottery/api/): rounds for the lottery officer, applications taken in by
staff, the public look-up and appeal (number + ID suffix, throttled like tracking), the
pool file and the draw's result.

Transactional: the verification's outbox jobs run after commit (embedded mode)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.constants import IdType
from cases.models import Applicant
from departments.constants import Role
from lottery.constants import ApplicationState, Channel
from lottery.draw import pool_parse, winners
from lottery.models import Application, Round, RuleSet
from lottery.services.rounds import round_draw
from lottery.services.verification import round_verification_start
from tests.factories import StaffFactory, resident_id
from tests.lottery.conftest import SEED_HEX, SEED_SHA256, records_set

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_NUMBER = "2026-6-9999999"


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The look-up limits count in the cache, which outlives each test's database."""
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def officer_client(lottery_world):
    return token_client(lottery_world.officer)


@pytest.fixture
def clerk_client(db):
    return token_client(StaffFactory(username="lottery_clerk", role=Role.CLERK))


@pytest.fixture
def agent_client(db):
    return token_client(StaffFactory(username="lottery_agent", role=Role.AGENT))


def round_body(**overrides):
    now = timezone.now()
    return {
        "code": "2026-7",
        "name": "2026年第7期小客车指标摇号",
        "quota": 3,
        "applications_open": (now - dt.timedelta(hours=1)).isoformat(),
        "applications_close": (now + dt.timedelta(days=7)).isoformat(),
        "seed_sha256": SEED_SHA256,
        **overrides,
    }


def applicant_body(n: int, **overrides):
    return {
        "applicant": {
            "id_type": IdType.RESIDENT_ID,
            "id_number": resident_id(n),
            "name": f"申请人{n}",
            "phone": "13800138000",
            **overrides,
        }
    }


def lookup(application_no: str, suffix: str | None, **extra):
    query = {"id_suffix": suffix} if suffix is not None else {}
    return APIClient().get(
        reverse("api:lottery-application", args=[application_no]), query, **extra
    )


def appeal(application_no: str, suffix: str, note: str = "", **extra):
    return APIClient().post(
        reverse("api:lottery-application-appeal", args=[application_no]),
        {"id_suffix": suffix, "note": note},
        format="json",
        **extra,
    )


def forged():
    """A different made-up X-Forwarded-For on every call."""
    return {"HTTP_X_FORWARDED_FOR": f"{random.randint(1, 223)}.{random.randint(0, 255)}.1.1"}


@pytest.fixture
def verified_round(open_round, person_apply, closed):
    """A closed, verified round of quota 2: persons 0–3 eligible (person 1's ID ends in
    X), person 10 without a driving licence, person 11 with a car (both ineligible)."""
    round_ = open_round(quota=2)
    applications = {n: person_apply(round_, n) for n in (0, 1, 2, 3)}
    applications[10] = person_apply(round_, 10, records={"DRIVING_LICENCE": None})
    applications[11] = person_apply(round_, 11, records={"VEHICLE": {"passenger_cars": 1}})
    round_ = closed(round_)
    round_verification_start(round_=round_)
    round_.refresh_from_db()
    return round_, applications


def streamed_json(response):
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def suffix_of(n: int) -> str:
    return resident_id(n)[-4:]


# --- rounds ----------------------------------------------------------------------------------


def test_the_officer_opens_a_round_with_the_only_rule_set(officer_client, lottery_world):
    response = officer_client.post(reverse("api:lottery-rounds"), round_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "2026-7"
    assert body["rule_set"] == lottery_world.rule_set.code
    assert body["seed_sha256"] == SEED_SHA256
    assert body["seed"] is None and body["pool_sha256"] is None and body["is_open"] is True
    assert Round.objects.get(code="2026-7").quota == 3


def test_the_officer_may_name_the_rule_set(officer_client, lottery_world):
    response = officer_client.post(
        reverse("api:lottery-rounds"),
        round_body(rule_set=lottery_world.rule_set.code),
        format="json",
    )
    assert response.status_code == 201
    assert Round.objects.get().rule_set == lottery_world.rule_set


def test_with_two_rule_sets_one_must_be_named(officer_client, lottery_world):
    RuleSet.objects.create(
        code="OTHER",
        name="另一套",
        department=lottery_world.transport,
        rules=lottery_world.rule_set.rules,
    )
    response = officer_client.post(reverse("api:lottery-rounds"), round_body(), format="json")
    assert response.status_code == 400
    assert "rule_set" in response.json()
    assert not Round.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rule_set": "NO-SUCH"}, "rule_set", "没有代码为“NO-SUCH”的资格规则"),
        ({"seed_sha256": "abc"}, "seed_sha256", "SHA-256"),
        ({"code": "bad code!"}, "code", "轮次代码"),
    ],
)
def test_bad_round_input_is_refused_on_its_field_and_creates_nothing(
    officer_client, lottery_world, overrides, field, message
):
    response = officer_client.post(
        reverse("api:lottery-rounds"), round_body(**overrides), format="json"
    )
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert not Round.objects.exists()


def test_a_round_closing_before_it_opens_is_refused(officer_client, lottery_world):
    now = timezone.now()
    response = officer_client.post(
        reverse("api:lottery-rounds"),
        round_body(
            applications_open=now.isoformat(),
            applications_close=(now - dt.timedelta(days=1)).isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "申请截止时间必须晚于开始时间" in str(response.json())
    assert not Round.objects.exists()


def test_a_second_round_with_the_same_code_is_refused(officer_client, open_round):
    open_round(code="2026-7")
    response = officer_client.post(reverse("api:lottery-rounds"), round_body(), format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    assert Round.objects.count() == 1


def test_only_the_lottery_officer_opens_a_round(clerk_client, lottery_world):
    assert (
        APIClient().post(reverse("api:lottery-rounds"), round_body(), format="json").status_code
        == 401
    )
    response = clerk_client.post(reverse("api:lottery-rounds"), round_body(), format="json")
    assert response.status_code == 403
    assert "指标摇号管理人员" in response.json()["detail"]
    assert not Round.objects.exists()


def test_the_officer_closes_applications_now(officer_client, open_round):
    round_ = open_round()
    response = officer_client.post(reverse("api:lottery-round-close", args=[round_.code]))
    assert response.status_code == 200
    assert response.json()["is_open"] is False
    round_.refresh_from_db()
    assert round_.is_closed()


def test_only_the_officer_closes_a_round(clerk_client, open_round):
    round_ = open_round()
    url = reverse("api:lottery-round-close", args=[round_.code])
    assert APIClient().post(url).status_code == 401
    assert clerk_client.post(url).status_code == 403
    round_.refresh_from_db()
    assert round_.is_open()


def test_anyone_lists_and_reads_the_rounds(open_round):
    open_round(code="2026-5")
    open_round(code="2026-6")
    listed = APIClient().get(reverse("api:lottery-rounds"))
    assert listed.status_code == 200
    assert {row["code"] for row in listed.json()} == {"2026-5", "2026-6"}
    detail = APIClient().get(reverse("api:lottery-round", args=["2026-6"]))
    assert detail.status_code == 200 and detail.json()["seed_sha256"] == SEED_SHA256
    assert APIClient().get(reverse("api:lottery-round", args=["NOPE"])).status_code == 404


# --- applications taken in by staff ----------------------------------------------------------


def test_a_clerk_applies_for_someone_at_the_window(clerk_client, open_round):
    round_ = open_round()
    url = reverse("api:lottery-round-applications", args=[round_.code])
    response = clerk_client.post(url, applicant_body(0), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    application = Application.objects.get()
    assert body == {
        "application_no": application.application_no,
        "lottery_code": application.lottery_code,
        "state": ApplicationState.SUBMITTED,
    }
    assert application.channel == Channel.WINDOW
    assert application.submitted_by.username == "lottery_clerk"


def test_an_agent_applies_through_the_agent_channel(agent_client, open_round):
    round_ = open_round()
    url = reverse("api:lottery-round-applications", args=[round_.code])
    assert agent_client.post(url, applicant_body(0), format="json").status_code == 201
    assert Application.objects.get().channel == Channel.AGENT


def test_the_same_applicant_again_gets_409_with_the_first_number(
    clerk_client, agent_client, open_round
):
    round_ = open_round()
    url = reverse("api:lottery-round-applications", args=[round_.code])
    first = clerk_client.post(url, applicant_body(0), format="json").json()
    again = agent_client.post(url, applicant_body(0, name="换个名字"), format="json")
    assert again.status_code == 409
    assert again.json()["application_no"] == first["application_no"]
    assert first["application_no"] in again.json()["detail"]
    assert Application.objects.count() == 1


def test_an_invalid_id_number_is_refused_with_its_message_and_writes_nothing(
    clerk_client, open_round
):
    round_ = open_round()
    wrong_check_digit = resident_id(0)[:-1] + ("0" if resident_id(0)[-1] != "0" else "1")
    url = reverse("api:lottery-round-applications", args=[round_.code])
    response = clerk_client.post(url, applicant_body(0, id_number=wrong_check_digit), format="json")
    assert response.status_code == 400
    message = response.json()["applicant"]["id_number"][0]
    assert "校验" in message
    assert not Application.objects.exists()
    assert not Applicant.objects.exists()


def test_a_closed_round_answers_409_and_writes_nothing(clerk_client, open_round, closed):
    round_ = closed(open_round())
    url = reverse("api:lottery-round-applications", args=[round_.code])
    response = clerk_client.post(url, applicant_body(0), format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "本轮不在申请期内。"
    assert not Application.objects.exists()
    assert not Applicant.objects.exists()


def test_only_window_staff_and_agents_apply_through_the_api(officer_client, open_round):
    round_ = open_round()
    url = reverse("api:lottery-round-applications", args=[round_.code])
    assert APIClient().post(url, applicant_body(0), format="json").status_code == 401
    assert officer_client.post(url, applicant_body(0), format="json").status_code == 403
    assert not Application.objects.exists()


def test_an_unknown_round_is_404(clerk_client, lottery_world):
    url = reverse("api:lottery-round-applications", args=["NOPE"])
    assert clerk_client.post(url, applicant_body(0), format="json").status_code == 404


# --- the public look-up ----------------------------------------------------------------------


def test_the_applicant_reads_the_verdict_with_every_reason(verified_round):
    _round, applications = verified_round
    no_licence = applications[10]
    response = lookup(no_licence.application_no, suffix_of(10))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store, private"
    body = response.json()
    assert body["application_no"] == no_licence.application_no
    assert body["round"] == "2026-6"
    assert body["state"] == ApplicationState.INELIGIBLE
    assert body["weight"] == 1
    assert body["lottery_code"] == no_licence.lottery_code
    assert body["applicant_masked"] == "申***0"  # 申请人10
    assert {reason["rule"] for reason in body["reasons"]} == {"LICENCE_STATUS", "LICENCE_VALID"}
    assert all(reason["registry"] == "DRIVING_LICENCE" for reason in body["reasons"])
    assert "没有申请人的记录" in body["reasons"][0]["message"]
    assert "facts" not in body


def test_the_suffix_is_case_insensitive(verified_round):
    _round, applications = verified_round
    assert suffix_of(1).endswith("X")
    response = lookup(applications[1].application_no, suffix_of(1).lower())
    assert response.status_code == 200
    assert response.json()["state"] == ApplicationState.ELIGIBLE
    assert response.json()["reasons"] == []


def test_a_wrong_suffix_answers_exactly_like_an_unknown_number(verified_round):
    _round, applications = verified_round
    wrong = lookup(applications[0].application_no, "0000" if suffix_of(0) != "0000" else "1111")
    unknown = lookup(UNKNOWN_NUMBER, suffix_of(0))
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert wrong.headers["Content-Type"] == unknown.headers["Content-Type"]
    assert "未找到该摇号申请" in wrong.json()["detail"]


def test_a_missing_suffix_is_400(verified_round):
    _round, applications = verified_round
    for suffix in (None, "", "12", "12345"):
        response = lookup(applications[0].application_no, suffix)
        assert response.status_code == 400
        assert "id_suffix" in response.json()


def test_rotating_forwarded_for_still_gets_429(verified_round, settings):
    _round, applications = verified_round
    settings.LOTTERY_LOOKUP_FAILURE_LIMIT = 4
    codes = [lookup(UNKNOWN_NUMBER, "1234", **forged()).status_code for _ in range(12)]
    assert codes == [404] * 4 + [429] * 8
    # The right number and suffix are refused too while the address is blocked.
    blocked = lookup(applications[0].application_no, suffix_of(0), **forged())
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "600"
    assert "失败次数过多" in blocked.json()["detail"]
    # ...and so is an appeal: the look-up and the appeal share the counts.
    assert appeal(applications[10].application_no, suffix_of(10), **forged()).status_code == 429
    # Another address is not affected.
    assert (
        lookup(applications[0].application_no, suffix_of(0), REMOTE_ADDR="192.0.2.50").status_code
        == 200
    )


def test_wrong_suffixes_for_one_application_from_many_addresses_rest_it(verified_round, settings):
    _round, applications = verified_round
    settings.LOTTERY_APPLICATION_FAILURE_LIMIT = 3
    target = applications[0]
    guesses = [f"{n:04d}" for n in range(10) if f"{n:04d}" != suffix_of(0)][:3]
    for n, guess in enumerate(guesses):
        assert (
            lookup(target.application_no, guess, REMOTE_ADDR=f"198.51.100.{n}").status_code == 404
        )
    blocked = lookup(target.application_no, suffix_of(0), REMOTE_ADDR="198.51.100.200")
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "86400"
    assert "输错次数过多" in blocked.json()["detail"]
    # Another application is not affected, nor are unknown numbers counted per number.
    other = lookup(applications[2].application_no, suffix_of(2), REMOTE_ADDR="198.51.100.201")
    assert other.status_code == 200


# --- the appeal ------------------------------------------------------------------------------


def test_an_appeal_after_the_registry_corrected_its_data_makes_the_application_eligible(
    verified_round, lottery_world
):
    round_, applications = verified_round
    no_licence = applications[10]
    pool_before = round_.pool_sha256
    records_set(
        lottery_world.registries,
        resident_id(10),
        {"DRIVING_LICENCE": {"status": "正常", "valid_until": "2033-01-01"}},
    )
    response = appeal(no_licence.application_no, suffix_of(10), note="驾驶证已换领")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["application_no"] == no_licence.application_no
    assert body["state"] == ApplicationState.ELIGIBLE
    assert body["reasons"] == []
    no_licence.refresh_from_db()
    assert no_licence.state == ApplicationState.ELIGIBLE
    assert no_licence.appeal_note == "驾驶证已换领"
    round_.refresh_from_db()
    assert round_.pool_entries == 5 and round_.pool_sha256 != pool_before


def test_an_appeal_still_failing_goes_to_the_officer_with_its_reasons(verified_round):
    _round, applications = verified_round
    has_car = applications[11]
    response = appeal(has_car.application_no, suffix_of(11))
    assert response.status_code == 200
    assert response.json()["state"] == ApplicationState.APPEALED
    assert [reason["rule"] for reason in response.json()["reasons"]] == ["NO_PASSENGER_CAR"]


def test_an_eligible_application_cannot_appeal(verified_round):
    _round, applications = verified_round
    response = appeal(applications[0].application_no, suffix_of(0))
    assert response.status_code == 409
    assert "只有审核未通过的申请可以申请复核" in response.json()["detail"]
    applications[0].refresh_from_db()
    assert applications[0].state == ApplicationState.ELIGIBLE


def test_a_too_long_note_is_400_and_changes_nothing(verified_round):
    _round, applications = verified_round
    response = appeal(applications[10].application_no, suffix_of(10), note="长" * 501)
    assert response.status_code == 400
    assert "note" in response.json()
    applications[10].refresh_from_db()
    assert applications[10].state == ApplicationState.INELIGIBLE
    assert applications[10].appeal_note == ""


def test_an_appeal_with_a_wrong_suffix_is_404_like_an_unknown_number(verified_round, settings):
    _round, applications = verified_round
    settings.LOTTERY_LOOKUP_FAILURE_LIMIT = 2
    wrong = appeal(applications[10].application_no, "0000" if suffix_of(10) != "0000" else "1111")
    unknown = appeal(UNKNOWN_NUMBER, suffix_of(10))
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    applications[10].refresh_from_db()
    assert applications[10].state == ApplicationState.INELIGIBLE
    assert appeal(applications[10].application_no, suffix_of(10)).status_code == 429


def test_no_appeal_after_the_draw(verified_round):
    round_, applications = verified_round
    round_draw(round_=round_, seed_hex=SEED_HEX)
    response = appeal(applications[10].application_no, suffix_of(10))
    assert response.status_code == 409
    assert "已摇号" in response.json()["detail"]


# --- the pool and the result -----------------------------------------------------------------


def test_the_pool_is_404_with_a_message_before_it_is_published(open_round, person_apply):
    round_ = open_round()
    person_apply(round_, 0)
    response = APIClient().get(reverse("api:lottery-round-pool", args=[round_.code]))
    assert response.status_code == 404
    assert "资格池尚未公布" in response.json()["detail"]
    assert APIClient().get(reverse("api:lottery-round-pool", args=["NOPE"])).status_code == 404


def test_the_pool_is_the_published_file_and_its_hash(verified_round):
    round_, applications = verified_round
    response = APIClient().get(reverse("api:lottery-round-pool", args=[round_.code]))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content)
    with default_storage.open(round_.pool_file, "rb") as published:
        assert content == published.read()
    assert hashlib.sha256(content).hexdigest() == round_.pool_sha256
    assert response.headers["X-Pool-SHA256"] == round_.pool_sha256
    eligible = sorted(applications[n].lottery_code for n in (0, 1, 2, 3))
    assert [code for code, _weight in pool_parse(content.splitlines())] == eligible


def test_the_pool_answers_a_client_asking_for_csv(verified_round):
    round_, _applications = verified_round
    response = APIClient().get(
        reverse("api:lottery-round-pool", args=[round_.code]), HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200


def test_the_result_before_the_draw_has_no_seed_and_no_winners(verified_round):
    round_, _applications = verified_round
    response = APIClient().get(reverse("api:lottery-round-result", args=[round_.code]))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = streamed_json(response)
    assert body == {
        "round": round_.code,
        "quota": 2,
        "seed_sha256": SEED_SHA256,
        "seed": None,
        "pool_sha256": round_.pool_sha256,
        "pool_entries": 4,
        "drawn_at": None,
        "winners": [],
    }


def test_the_result_winners_are_the_draw_over_the_pool(
    verified_round, django_assert_max_num_queries
):
    round_, _applications = verified_round
    drawn = round_draw(round_=round_, seed_hex=SEED_HEX)
    with django_assert_max_num_queries(3):
        response = APIClient().get(reverse("api:lottery-round-result", args=[round_.code]))
        body = streamed_json(response)
    assert body["seed"] == SEED_HEX
    assert hashlib.sha256(bytes.fromhex(body["seed"])).hexdigest() == body["seed_sha256"]
    assert body["pool_sha256"] == drawn.pool_sha256
    assert body["drawn_at"] is not None
    pool = APIClient().get(reverse("api:lottery-round-pool", args=[round_.code]))
    content = b"".join(pool.streaming_content)
    assert hashlib.sha256(content).hexdigest() == body["pool_sha256"]
    expected = winners(seed=bytes.fromhex(SEED_HEX), pool=pool_parse(content.splitlines()), quota=2)
    assert body["winners"] == expected and len(expected) == 2
    won = Application.objects.filter(state=ApplicationState.WON).order_by("draw_rank")
    assert list(won.values_list("lottery_code", flat=True)) == expected


def test_the_result_of_an_unknown_round_is_404(lottery_world):
    assert APIClient().get(reverse("api:lottery-round-result", args=["NOPE"])).status_code == 404


# --- the schema ------------------------------------------------------------------------------


def test_the_lottery_endpoints_are_in_the_schema_with_their_answers(lottery_world):
    document = APIClient().get("/api/v1/schema/", {"format": "json"}).json()

    def codes(path, method):
        return set(document["paths"][f"/api/v1/lottery/{path}"][method]["responses"])

    assert codes("rounds/", "post") == {"201", "400", "401", "403", "415"}
    assert codes("rounds/", "get") == {"200"}
    assert codes("rounds/{code}/close/", "post") == {"200", "401", "403", "404"}
    assert {"201", "400", "401", "403", "404", "409"} <= codes(
        "rounds/{code}/applications/", "post"
    )
    assert codes("applications/{application_no}/", "get") == {"200", "400", "404", "429"}
    assert {"200", "400", "404", "409", "429"} <= codes(
        "applications/{application_no}/appeal/", "post"
    )
    pool = document["paths"]["/api/v1/lottery/rounds/{code}/pool/"]["get"]["responses"]
    assert "text/csv" in pool["200"]["content"]
    result = document["components"]["schemas"]["LotteryResult"]["properties"]
    assert {"seed", "seed_sha256", "pool_sha256", "winners"} <= set(result)
