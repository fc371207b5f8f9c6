"""The public pages (no sign-in): a round before and after verification and the draw, the
pool file, and the look-up by application number and the last four ID characters."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from django.urls import reverse

from lottery.constants import ApplicationState
from lottery.models import Application
from lottery.services.rounds import round_draw
from lottery.services.verification import round_verification_start
from tests.factories import resident_id
from tests.lottery.conftest import SEED_HEX, SEED_SHA256

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _verified(open_round, person_apply, closed, quota=2):
    round_ = open_round(quota=quota)
    eligible = [person_apply(round_, n) for n in range(3)]
    refused = person_apply(round_, 10, records={"DRIVING_LICENCE": None})
    round_verification_start(round_=closed(round_))
    round_.refresh_from_db()
    return round_, eligible, refused


def test_the_rounds_are_listed(client, open_round):
    round_ = open_round()
    html = client.get(reverse("lottery:rounds")).content.decode()
    assert round_.name in html and reverse("lottery:round", args=[round_.code]) in html


def test_before_verification_only_the_commitment_is_shown(client, open_round, person_apply):
    round_ = open_round()
    person_apply(round_, 0)
    response = client.get(reverse("lottery:round", args=[round_.code]))
    html = response.content.decode()
    assert SEED_SHA256 in html
    assert SEED_HEX not in html
    assert reverse("lottery:round_pool", args=[round_.code]) not in html
    assert client.get(reverse("lottery:round_pool", args=[round_.code])).status_code == 404


def test_after_verification_the_pool_is_published_and_downloadable(
    client, open_round, person_apply, closed
):
    round_, eligible, refused = _verified(open_round, person_apply, closed)
    html = client.get(reverse("lottery:round", args=[round_.code])).content.decode()
    assert round_.pool_sha256 in html
    assert "资格审核通过 3 人" in html
    assert SEED_HEX not in html
    pool_url = reverse("lottery:round_pool", args=[round_.code])
    assert pool_url in html
    response = client.get(pool_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == round_.pool_sha256
    expected = "".join(
        f"{code},1\n" for code in sorted(application.lottery_code for application in eligible)
    )
    assert body.decode() == expected
    assert refused.lottery_code not in body.decode()


def test_after_the_draw_the_seed_and_the_winners_in_draw_order_with_masked_names(
    client, open_round, person_apply, closed
):
    round_, _eligible, _refused = _verified(open_round, person_apply, closed, quota=2)
    round_draw(round_=round_, seed_hex=SEED_HEX)
    winners = list(
        Application.objects.filter(state=ApplicationState.WON)
        .order_by("draw_rank")
        .select_related("applicant")
    )
    assert len(winners) == 2
    html = client.get(reverse("lottery:round", args=[round_.code])).content.decode()
    assert SEED_HEX in html and SEED_SHA256 in html
    positions = [html.index(f'data-winner="{winner.lottery_code}"') for winner in winners]
    assert positions == sorted(positions)
    for winner in winners:
        assert winner.applicant.name not in html
        assert winner.applicant.masked_name in html
    assert f"python tools/verify_draw.py pool.csv --seed {SEED_HEX} --quota 2" in html


def test_an_unknown_round_is_404(client, lottery_world):
    assert client.get(reverse("lottery:round", args=["NO-SUCH"])).status_code == 404


def test_the_lookup_shows_the_verdict_with_its_reasons(client, open_round, person_apply, closed):
    _round, _eligible, refused = _verified(open_round, person_apply, closed)
    refused.refresh_from_db()
    response = client.post(
        reverse("lottery:lookup"),
        {"application_no": refused.application_no.lower(), "id_suffix": resident_id(10)[-4:]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert refused.application_no in html and 'data-state="INELIGIBLE"' in html
    for reason in refused.reasons:
        assert reason["message"] in html
    assert resident_id(10) not in html


def test_a_wrong_suffix_answers_exactly_like_an_unknown_number(
    client, open_round, person_apply, closed
):
    _round, eligible, _refused = _verified(open_round, person_apply, closed)
    wrong = client.post(
        reverse("lottery:lookup"),
        {"application_no": eligible[0].application_no, "id_suffix": "0000"},
    )
    unknown = client.post(
        reverse("lottery:lookup"), {"application_no": "2026-6-9999999", "id_suffix": "0000"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert "未找到该申请" in wrong.content.decode()


def test_failed_lookups_are_throttled(client, settings, open_round, person_apply, closed):
    settings.LOTTERY_LOOKUP_FAILURE_LIMIT = 2
    _round, eligible, _refused = _verified(open_round, person_apply, closed)
    for _ in range(2):
        client.post(reverse("lottery:lookup"), {"application_no": "X-1", "id_suffix": "0000"})
    right = {"application_no": eligible[0].application_no, "id_suffix": resident_id(0)[-4:]}
    blocked = client.post(reverse("lottery:lookup"), right)
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert eligible[0].application_no not in blocked.content.decode()


def test_a_right_lookup_is_never_counted(client, settings, open_round, person_apply, closed):
    settings.LOTTERY_LOOKUP_FAILURE_LIMIT = 2
    _round, eligible, _refused = _verified(open_round, person_apply, closed)
    right = {"application_no": eligible[0].application_no, "id_suffix": resident_id(0)[-4:]}
    for _ in range(4):
        assert client.post(reverse("lottery:lookup"), right).status_code == 200


def test_a_malformed_lookup_gets_the_forms_message(client, lottery_world):
    response = client.post(reverse("lottery:lookup"), {"application_no": "X", "id_suffix": "12"})
    assert response.status_code == 400
    assert "请输入证件号码的最后四位。" in response.content.decode()


def test_the_result_page_costs_a_fixed_number_of_queries(
    client, open_round, person_apply, closed, django_assert_max_num_queries
):
    round_, _eligible, _refused = _verified(open_round, person_apply, closed, quota=3)
    round_draw(round_=round_, seed_hex=SEED_HEX)
    url = reverse("lottery:round", args=[round_.code])
    with django_assert_max_num_queries(4):
        html = client.get(url).content.decode()
    assert html.count("data-winner=") == 3
