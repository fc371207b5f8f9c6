"""The demo's car-quota round (``manage.py load_demo``): loaded twice it changes nothing the
second time; closed, verified and drawn by the commands it gives a mix of eligible and
ineligible applicants and its quota of winners; the lottery officer can run it."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cases.models import Applicant
from departments.constants import Role
from departments.demo.people import build_demo_population
from departments.models import RegistryRecord, SharingAgreement
from departments.services.demo import TRANSPORT_DEPARTMENT_CODE, demo_load
from lottery import demo
from lottery.constants import ApplicationState, Channel
from lottery.models import Application, Round, RuleSet
from lottery.rules import rule_set_problems
from lottery.services.demo import (
    DEMO_ROUND_CODE,
    DEMO_SEED_HEX,
    DEMO_SEED_SHA256,
    demo_applicants,
    lottery_demo_load,
)
from lottery.services.rounds import round_close


def lottery_snapshot() -> dict[str, Any]:
    return {
        "rule_sets": list(
            RuleSet.objects.values_list(
                "code", "name", "department__code", "rules", "weight", "updated_at"
            )
        ),
        "rounds": list(Round.objects.values()),
        "applications": list(Application.objects.order_by("id").values()),
        "applicants": Applicant.objects.count(),
        "records": RegistryRecord.objects.count(),
    }


def run(name: str, *arguments: str) -> str:
    output = StringIO()
    call_command(name, *arguments, stdout=output, stderr=StringIO())
    return output.getvalue()


@pytest.mark.django_db
def test_the_demo_round_loads_twice_and_changes_nothing_the_second_time(settings):
    settings.DEBUG = True
    first_output = run("load_demo")
    first = lottery_snapshot()

    second_output = run("load_demo")

    assert lottery_snapshot() == first
    assert "round 2026-6 (created, open" in first_output
    assert "rule set unchanged; round 2026-6 (kept, open" in second_output
    assert "(0 created)" in second_output
    round_ = Round.objects.get(code=DEMO_ROUND_CODE)
    assert round_.is_open()
    assert round_.seed_sha256 == DEMO_SEED_SHA256
    assert round_.rule_set.department.code == TRANSPORT_DEPARTMENT_CODE
    applications = Application.objects.filter(round=round_)
    assert applications.count() == len(demo_applicants()) >= 300
    assert round_.quota == applications.count() // 10
    channels = Counter(applications.values_list("channel", flat=True))
    assert set(channels) == set(Channel.values)
    assert (
        applications.filter(channel=Channel.WINDOW).exclude(submitted_by__username="clerk").count()
        == 0
    )
    assert applications.filter(applicant__id_type="uscc").exists()
    assert rule_set_problems(rules=demo.RULES, weight=demo.WEIGHT) == []


@pytest.mark.django_db
def test_a_changed_demo_rule_set_is_put_back():
    demo_load(force=True)
    lottery_demo_load()
    RuleSet.objects.filter(code=demo.RULE_SET_CODE).update(weight={"base": 2})

    again = lottery_demo_load()

    assert again.rule_set == "updated"
    assert again.applications_created == 0
    assert RuleSet.objects.get(code=demo.RULE_SET_CODE).weight == demo.WEIGHT


@pytest.mark.django_db
def test_the_lottery_officer_login_runs_the_lottery_admin_only():
    demo_load(force=True)

    officer = get_user_model().objects.get(username="lottery_officer")

    assert officer.check_password(settings_password())
    assert officer.is_staff and not officer.is_superuser
    assert officer.staff_profile.role == Role.LOTTERY_OFFICER
    assert officer.staff_profile.department.code == TRANSPORT_DEPARTMENT_CODE
    assert officer.staff_profile.department.name == "市交通委员会"
    assert list(officer.groups.values_list("name", flat=True)) == ["lottery_officers"]
    assert officer.has_perms(
        [
            f"lottery.{action}_{model}"
            for model in ("round", "ruleset")
            for action in ("view", "change", "add")
        ]
        + ["lottery.view_application", "lottery.change_application"]
    )
    assert not officer.has_perm("lottery.delete_round")
    assert not officer.has_perm("lottery.add_application")
    assert not officer.has_perm("cases.view_case")
    supervisor = get_user_model().objects.get(username="supervisor")
    assert not supervisor.has_perm("lottery.view_application")
    # The transport department may read every registry of the rule set.
    read = set(
        SharingAgreement.objects.filter(
            consumer__code=TRANSPORT_DEPARTMENT_CODE, is_active=True
        ).values_list("registry__code", flat=True)
    )
    assert read == set(demo.PERSON_REGISTRIES) | set(demo.ORGANISATION_REGISTRIES)


def settings_password() -> str:
    from django.conf import settings

    return settings.DEMO_PASSWORD


@pytest.mark.django_db(transaction=True)
def test_the_demo_round_verifies_to_a_mix_and_draws_with_the_demo_seed():
    demo_load(force=True)
    lottery_demo_load()
    round_ = round_close(round_=Round.objects.get(code=DEMO_ROUND_CODE))

    output = run("lottery_verify", round_.code, "--no-progress")

    states = Counter(Application.objects.filter(round=round_).values_list("state", flat=True))
    total = sum(states.values())
    assert set(states) == {ApplicationState.ELIGIBLE, ApplicationState.INELIGIBLE}
    assert 0.2 < states[ApplicationState.ELIGIBLE] / total < 0.8
    assert f"审核通过：{states[ApplicationState.ELIGIBLE]}" in output
    assert "资格审核已完成。" in output
    failed_rules = Counter(
        reason["rule"]
        for reasons in Application.objects.filter(
            round=round_, state=ApplicationState.INELIGIBLE
        ).values_list("reasons", flat=True)
        for reason in reasons
    )
    # Several different reasons, persons' and organisations'.
    assert {"LICENCE_STATUS", "NO_PASSENGER_CAR", "RESIDENCE"} <= set(failed_rules)
    assert set(failed_rules) & {"LEGAL_PERSON_EXISTS", "ORG_CODE_VALID", "TAX_REGISTRATION_NORMAL"}

    output = run("lottery_draw", round_.code, "--seed", DEMO_SEED_HEX)

    round_.refresh_from_db()
    assert round_.drawn_at is not None
    assert f"资格池SHA-256：{round_.pool_sha256}" in output
    won = Application.objects.filter(round=round_, state=ApplicationState.WON).count()
    assert won == min(round_.quota, states[ApplicationState.ELIGIBLE])


def test_the_demo_registries_hold_what_the_rule_set_reads():
    population = build_demo_population()
    records = population.records
    persons = records["POPULATION"]
    organisations = records["LEGAL_PERSON"]

    statuses = Counter(data["status"] for data in persons.values())
    assert statuses["正常"] / len(persons) > 0.95
    assert statuses["迁出"] and statuses["注销"]
    assert all(data["hukou_city"] for data in persons.values())
    assert Counter(data["hukou_city"] for data in persons.values()).most_common(1)[0][0] == "成都市"
    assert "北京市" in {data["hukou_city"] for data in persons.values()}
    for insurance in records["SOCIAL_INSURANCE"].values():
        assert 0 <= insurance["consecutive_months"] <= insurance["months_paid"]
    assert 0.5 < len(records["DRIVING_LICENCE"]) / len(persons) < 0.8
    assert set(records["DRIVING_LICENCE"]) <= set(persons)
    assert {data["status"] for data in records["DRIVING_LICENCE"].values()} > {"正常"}
    assert all(len(data["valid_until"]) == 10 for data in records["DRIVING_LICENCE"].values())
    assert {data["passenger_cars"] for data in records["VEHICLE"].values()} == {0, 1, 2}
    assert 0.4 < len(records["INCOME_TAX"]) / len(persons) < 0.7
    assert set(records["ORG_CODE"]) == set(records["TAX_REGISTRATION"]) == set(organisations)
    assert (
        sum(data["status"] == "存续" for data in organisations.values()) / len(organisations) > 0.9
    )
    for credit_code, data in organisations.items():
        if data["status"] != "存续":
            assert records["ORG_CODE"][credit_code]["status"] == "注销"
            assert records["TAX_REGISTRATION"][credit_code]["status"] == "注销"
