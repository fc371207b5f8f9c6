"""The lottery officer's admin: rule sets as JSON, a round's progress and its buttons
(close, verify, draw), the application list and the appeal decision.

The buttons call the real services; the verification's outbox jobs run in-process after
commit (embedded mode), so the tests that verify run in transactions that commit."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db.models import Q
from django.urls import reverse

from departments.constants import Role
from departments.services.demo import GROUP_PERMISSIONS
from lottery.constants import ApplicationState
from lottery.models import Application, RuleSet
from lottery.services.applications import application_appeal
from lottery.services.verification import round_verification_start
from tests.factories import DepartmentFactory, StaffFactory, resident_id
from tests.lottery.conftest import SEED_HEX
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

OFFICER_PERMISSIONS = GROUP_PERMISSIONS["lottery_officers"]


def grant(user, keys) -> None:
    condition = Q(pk__in=[])
    for app_label, codename in keys:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(Permission.objects.filter(condition))


@pytest.fixture
def officer(lottery_world):
    grant(lottery_world.officer, OFFICER_PERMISSIONS)
    return lottery_world.officer


@pytest.fixture
def officer_client(client, officer):
    return sign_in(client, officer)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _verified(open_round, person_apply, closed, **round_kwargs):
    """A closed, verified round: persons 0–2 eligible, 10 without a driving licence."""
    round_ = open_round(**round_kwargs)
    for n in range(3):
        person_apply(round_, n)
    refused = person_apply(round_, 10, records={"DRIVING_LICENCE": None})
    round_ = closed(round_)
    round_verification_start(round_=round_)
    round_.refresh_from_db()
    return round_, refused


def _appealed(lottery_world, open_round, person_apply, closed):
    """An application the registries refuse again on appeal: waiting for the officer."""
    round_, refused = _verified(open_round, person_apply, closed)
    refused.refresh_from_db()
    application_appeal(application=refused, note="驾驶证已换领")
    refused.refresh_from_db()
    assert refused.state == ApplicationState.APPEALED
    return round_, refused


# --- the round's buttons ----------------------------------------------------------------


def test_officer_closes_applications(officer_client, open_round):
    round_ = open_round()
    response = officer_client.post(reverse("admin:lottery_round_close", args=[round_.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:lottery_round_change", args=[round_.pk])
    round_.refresh_from_db()
    assert round_.is_closed()
    assert any("申请已截止" in message for message in _messages(response))


def test_officer_starts_the_verification_and_is_told_the_chunks(
    officer_client, open_round, person_apply, closed, settings
):
    settings.LOTTERY_CHUNK_SIZE = 2
    round_ = open_round()
    for n in range(5):
        person_apply(round_, n)
    round_ = closed(round_)
    response = officer_client.post(reverse("admin:lottery_round_verify", args=[round_.pk]))
    assert response.status_code == 302
    [message] = _messages(response)
    assert "5份申请" in message and "3个分块" in message
    assert set(Application.objects.values_list("state", flat=True)) == {ApplicationState.ELIGIBLE}
    round_.refresh_from_db()
    assert round_.verification_runs == 1 and round_.pool_entries == 5


def test_verification_of_an_open_round_is_refused_with_the_services_message(
    officer_client, open_round, person_apply
):
    round_ = open_round()
    person_apply(round_, 0)
    response = officer_client.post(reverse("admin:lottery_round_verify", args=[round_.pk]))
    assert "本轮申请尚未截止" in " ".join(_messages(response))
    round_.refresh_from_db()
    assert round_.verification_runs == 0
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_a_wrong_seed_is_refused_and_changes_nothing(
    officer_client, open_round, person_apply, closed
):
    round_, _refused = _verified(open_round, person_apply, closed)
    before = dict(Application.objects.values_list("pk", "state"))
    response = officer_client.post(
        reverse("admin:lottery_round_draw", args=[round_.pk]), {"seed": "00" * 32}
    )
    assert response.status_code == 302
    assert any("承诺不符" in message for message in _messages(response))
    round_.refresh_from_db()
    assert round_.drawn_at is None and round_.seed == "" and round_.appeals_closed_at is None
    assert dict(Application.objects.values_list("pk", "state")) == before


def test_a_seed_that_is_not_hex_is_refused(officer_client, open_round, person_apply, closed):
    round_, _refused = _verified(open_round, person_apply, closed)
    response = officer_client.post(
        reverse("admin:lottery_round_draw", args=[round_.pk]), {"seed": "not a seed"}
    )
    assert any("十六进制" in message for message in _messages(response))
    round_.refresh_from_db()
    assert round_.drawn_at is None


def test_the_officer_draws_with_the_committed_seed(
    officer_client, officer, open_round, person_apply, closed
):
    round_, _refused = _verified(open_round, person_apply, closed, quota=2)
    response = officer_client.post(
        reverse("admin:lottery_round_draw", args=[round_.pk]), {"seed": SEED_HEX}
    )
    assert any("中签2人" in message for message in _messages(response))
    round_.refresh_from_db()
    assert round_.seed == SEED_HEX and round_.drawn_by == officer
    assert Application.objects.filter(state=ApplicationState.WON).count() == 2
    assert Application.objects.filter(state=ApplicationState.NOT_WON).count() == 1


@pytest.mark.parametrize("role", [Role.CLERK, Role.REVIEWER])
def test_the_buttons_are_refused_to_other_staff_even_with_the_permissions(
    client, lottery_world, open_round, person_apply, closed, role
):
    user = StaffFactory(role=role, department=lottery_world.transport)
    grant(user, OFFICER_PERMISSIONS)
    sign_in(client, user)
    round_ = open_round()
    person_apply(round_, 0)
    for name, data in (
        ("admin:lottery_round_close", {}),
        ("admin:lottery_round_verify", {}),
        ("admin:lottery_round_draw", {"seed": SEED_HEX}),
    ):
        assert client.post(reverse(name, args=[round_.pk]), data).status_code == 403
    round_.refresh_from_db()
    assert not round_.is_closed() and round_.verification_runs == 0
    # The round's page shows no buttons to them.
    html = client.get(reverse("admin:lottery_round_change", args=[round_.pk])).content.decode()
    assert reverse("admin:lottery_round_close", args=[round_.pk]) not in html


def test_the_buttons_answer_only_post(officer_client, open_round):
    round_ = open_round()
    assert (
        officer_client.get(reverse("admin:lottery_round_close", args=[round_.pk])).status_code
        == 405
    )
    round_.refresh_from_db()
    assert not round_.is_closed()


def test_the_buttons_need_the_csrf_token(open_round, officer):
    from django.test import Client

    strict = sign_in(Client(enforce_csrf_checks=True), officer)
    round_ = open_round()
    assert strict.post(reverse("admin:lottery_round_close", args=[round_.pk])).status_code == 403
    round_.refresh_from_db()
    assert not round_.is_closed()


def test_an_officer_of_another_department_does_not_see_the_round(client, lottery_world, open_round):
    other = StaffFactory(role=Role.LOTTERY_OFFICER, department=DepartmentFactory(code="ZZ"))
    grant(other, OFFICER_PERMISSIONS)
    sign_in(client, other)
    round_ = open_round()
    assert client.get(reverse("admin:lottery_round_change", args=[round_.pk])).status_code == 404
    assert client.post(reverse("admin:lottery_round_close", args=[round_.pk])).status_code == 404
    assert round_.code not in client.get(reverse("admin:lottery_round_changelist")).content.decode()


# --- the round's pages -------------------------------------------------------------------


def test_the_round_page_shows_progress_and_failures_per_rule(
    officer_client, open_round, person_apply, closed
):
    round_, _refused = _verified(open_round, person_apply, closed)
    html = officer_client.get(
        reverse("admin:lottery_round_change", args=[round_.pk])
    ).content.decode()
    assert "审核进度" in html
    assert "LICENCE_STATUS" in html and "LICENCE_VALID" in html
    assert reverse("admin:lottery_round_draw", args=[round_.pk]) in html
    assert 'name="seed"' in html


def test_the_round_list_counts_states_in_a_fixed_number_of_queries(
    officer_client, open_round, person_apply, closed, django_assert_max_num_queries
):
    round_, _refused = _verified(open_round, person_apply, closed)
    url = reverse("admin:lottery_round_changelist")
    html = officer_client.get(url).content.decode()
    assert round_.code in html
    assert '<td class="field-states_eligible">3</td>' in html
    assert '<td class="field-states_ineligible">1</td>' in html
    with django_assert_max_num_queries(12) as few:
        officer_client.get(url)
    for n in range(3):
        open_round(code=f"2027-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        officer_client.get(url)


# --- applications ----------------------------------------------------------------------


def test_the_application_list_masks_id_numbers_filters_and_searches(
    officer_client, open_round, person_apply, closed
):
    round_, refused = _verified(open_round, person_apply, closed)
    url = reverse("admin:lottery_application_changelist")
    html = officer_client.get(url).content.decode()
    assert resident_id(10) not in html and "申请人10" not in html
    assert resident_id(10)[:4] + "*" * 10 + resident_id(10)[-4:] in html
    filtered = officer_client.get(url, {"round__id__exact": round_.pk, "state": "INELIGIBLE"})
    assert list(filtered.context["cl"].result_list) == [refused]
    searched = officer_client.get(url, {"q": f" {refused.application_no.lower()} "})
    assert list(searched.context["cl"].result_list) == [refused]


def test_the_application_list_costs_a_fixed_number_of_queries(
    officer_client, open_round, person_apply, django_assert_max_num_queries
):
    round_ = open_round()
    person_apply(round_, 0)
    url = reverse("admin:lottery_application_changelist")
    officer_client.get(url)
    with django_assert_max_num_queries(14) as few:
        officer_client.get(url)
    for n in range(1, 15):
        person_apply(round_, n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        officer_client.get(url)


def test_applications_are_read_only(officer_client, open_round, person_apply):
    application = person_apply(open_round(), 0)
    url = reverse("admin:lottery_application_change", args=[application.pk])
    officer_client.post(url, {"state": ApplicationState.ELIGIBLE, "weight": 9})
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED and application.weight == 1
    assert officer_client.get(reverse("admin:lottery_application_add")).status_code == 403


def test_the_officer_decides_an_appeal_with_a_recorded_reason(
    officer_client, officer, lottery_world, open_round, person_apply, closed
):
    round_, appealed = _appealed(lottery_world, open_round, person_apply, closed)
    page = officer_client.get(reverse("admin:lottery_application_change", args=[appealed.pk]))
    assert reverse("admin:lottery_application_decide", args=[appealed.pk]) in page.content.decode()
    response = officer_client.post(
        reverse("admin:lottery_application_decide", args=[appealed.pk]),
        {"decision": "eligible", "reason": "申请人提交了车管所出具的驾驶证换领证明"},
    )
    assert response.status_code == 302
    appealed.refresh_from_db()
    assert appealed.state == ApplicationState.ELIGIBLE
    assert appealed.decision_reason == "申请人提交了车管所出具的驾驶证换领证明"
    assert appealed.decided_by == officer and appealed.decided_at is not None
    assert appealed.reasons == []
    round_.refresh_from_db()
    assert round_.pool_entries == 4  # the pool is published again with them


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(
    officer_client, lottery_world, open_round, person_apply, closed
):
    _round, appealed = _appealed(lottery_world, open_round, person_apply, closed)
    response = officer_client.post(
        reverse("admin:lottery_application_decide", args=[appealed.pk]),
        {"decision": "eligible", "reason": "  "},
    )
    assert any("决定理由" in message for message in _messages(response))
    appealed.refresh_from_db()
    assert appealed.state == ApplicationState.APPEALED and appealed.decided_by is None


def test_a_decision_on_an_application_not_appealed_is_refused(
    officer_client, open_round, person_apply, closed
):
    _round, refused = _verified(open_round, person_apply, closed)
    response = officer_client.post(
        reverse("admin:lottery_application_decide", args=[refused.pk]),
        {"decision": "eligible", "reason": "理由"},
    )
    assert any("不在待复核状态" in message for message in _messages(response))
    refused.refresh_from_db()
    assert refused.state == ApplicationState.INELIGIBLE


@pytest.mark.parametrize("role", [Role.CLERK, Role.REVIEWER])
def test_the_decision_is_refused_to_other_staff(
    client, lottery_world, open_round, person_apply, closed, role
):
    _round, appealed = _appealed(lottery_world, open_round, person_apply, closed)
    user = StaffFactory(role=role, department=lottery_world.transport)
    grant(user, OFFICER_PERMISSIONS)
    sign_in(client, user)
    response = client.post(
        reverse("admin:lottery_application_decide", args=[appealed.pk]),
        {"decision": "eligible", "reason": "理由"},
    )
    assert response.status_code == 403
    appealed.refresh_from_db()
    assert appealed.state == ApplicationState.APPEALED


# --- rule sets -------------------------------------------------------------------------


def _rule_set_post(rule_set: RuleSet, **changes) -> dict[str, str]:
    data = {
        "code": rule_set.code,
        "name": rule_set.name,
        "department": str(rule_set.department_id),
        "rules": json.dumps(rule_set.rules, ensure_ascii=False),
        "weight": json.dumps(rule_set.weight),
    }
    data.update(changes)
    return data


def test_a_rule_set_is_edited_as_json(officer_client, lottery_world):
    rule_set = lottery_world.rule_set
    rules = json.loads(json.dumps(rule_set.rules))
    rules["organisation"]["all"][0]["value"] = "在业"
    response = officer_client.post(
        reverse("admin:lottery_ruleset_change", args=[rule_set.pk]),
        _rule_set_post(rule_set, rules=json.dumps(rules, ensure_ascii=False)),
    )
    assert response.status_code == 302
    rule_set.refresh_from_db()
    assert rule_set.rules["organisation"]["all"][0]["value"] == "在业"


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ("{not json", "JSON"),
        (
            json.dumps(
                {
                    "person": {
                        "rule": "X",
                        "registry": "POPULATION",
                        "field": "status",
                        "op": "like",
                        "reason": "r",
                    }
                }
            ),
            "未知的比较方式",
        ),
        (
            json.dumps(
                {
                    "person": {
                        "rule": "X",
                        "registry": "NO_SUCH",
                        "field": "status",
                        "op": "equals",
                        "value": 1,
                        "reason": "r",
                    }
                }
            ),
            "没有代码为“NO_SUCH”的共享数据库",
        ),
        (json.dumps({"robot": {}}), "未知的申请人类别"),
    ],
)
def test_a_wrong_rule_set_gets_a_clear_message_and_is_not_saved(
    officer_client, lottery_world, rules, expected
):
    rule_set = lottery_world.rule_set
    before = RuleSet.objects.get(pk=rule_set.pk).rules
    response = officer_client.post(
        reverse("admin:lottery_ruleset_change", args=[rule_set.pk]),
        _rule_set_post(rule_set, rules=rules),
    )
    assert response.status_code == 200
    assert expected in " ".join(
        str(error) for error in response.context["adminform"].form.errors["rules"]
    )
    assert RuleSet.objects.get(pk=rule_set.pk).rules == before


def test_a_wrong_weight_rule_is_refused(officer_client, lottery_world):
    rule_set = lottery_world.rule_set
    response = officer_client.post(
        reverse("admin:lottery_ruleset_change", args=[rule_set.pk]),
        _rule_set_post(rule_set, weight=json.dumps({"base": 0})),
    )
    assert response.status_code == 200
    assert "正整数" in response.content.decode()
    rule_set.refresh_from_db()
    assert rule_set.weight == {"base": 1, "extra_every_lost_rounds": 6}


def test_an_officer_keeps_rule_sets_in_their_own_department(officer_client, lottery_world):
    rule_set = lottery_world.rule_set
    elsewhere = DepartmentFactory(code="ZY", name="别的部门")
    page = officer_client.get(reverse("admin:lottery_ruleset_change", args=[rule_set.pk]))
    assert "别的部门" not in page.content.decode()
    response = officer_client.post(
        reverse("admin:lottery_ruleset_change", args=[rule_set.pk]),
        _rule_set_post(rule_set, department=str(elsewhere.pk)),
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    rule_set.refresh_from_db()
    assert rule_set.department == lottery_world.transport
