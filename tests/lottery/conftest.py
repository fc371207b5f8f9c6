"""A lottery round over local registries, with the demo's rule set (lottery/demo.py).

``lottery_world`` builds the transport department, the eight registries its rules read
and the agreements that let it read them; ``open_round`` a round open now;
``person_apply`` an application whose registry records are set first (the demo's
eligible records, with ``records`` overriding some of them; ``None`` removes one)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from cases.constants import IdType
from departments.constants import RegistryKind, Role
from departments.models import Registry, RegistryRecord
from lottery import demo
from lottery.models import Application, Round, RuleSet
from lottery.services.applications import application_submit
from lottery.services.rounds import round_close, round_create
from tests.factories import (
    DepartmentFactory,
    RegistryFactory,
    SharingAgreementFactory,
    StaffFactory,
    resident_id,
    uscc,
)

SEED_HEX = "5eed" * 16
SEED_SHA256 = hashlib.sha256(bytes.fromhex(SEED_HEX)).hexdigest()

KINDS = {
    "POPULATION": RegistryKind.POPULATION,
    "DRIVING_LICENCE": RegistryKind.VEHICLE,
    "VEHICLE": RegistryKind.VEHICLE,
    "SOCIAL_INSURANCE": RegistryKind.SOCIAL_INSURANCE,
    "INCOME_TAX": RegistryKind.TAX,
    "LEGAL_PERSON": RegistryKind.LEGAL_PERSON,
    "ORG_CODE": RegistryKind.LEGAL_PERSON,
    "TAX_REGISTRATION": RegistryKind.TAX,
}
NAMES = {
    "POPULATION": "人口基础信息库",
    "DRIVING_LICENCE": "机动车驾驶人信息库",
    "VEHICLE": "机动车登记信息库",
    "SOCIAL_INSURANCE": "社会保险参保信息库",
    "INCOME_TAX": "个人所得税纳税信息库",
    "LEGAL_PERSON": "法人单位基础信息库",
    "ORG_CODE": "组织机构代码信息库",
    "TAX_REGISTRATION": "税务登记信息库",
}


@dataclass
class LotteryWorld:
    transport: Any
    rule_set: RuleSet
    registries: dict[str, Registry]
    officer: Any


@pytest.fixture
def lottery_world(db) -> LotteryWorld:
    transport = DepartmentFactory(code="JT", name="市交通委员会")
    registries = {}
    for code, kind in KINDS.items():
        registry = RegistryFactory(code=code, name=NAMES[code], kind=kind)
        SharingAgreementFactory(
            consumer=transport, registry=registry, purpose="小客车指标摇号资格审核"
        )
        registries[code] = registry
    rule_set = RuleSet.objects.create(
        code=demo.RULE_SET_CODE,
        name=demo.RULE_SET_NAME,
        department=transport,
        rules=demo.RULES,
        weight=demo.WEIGHT,
    )
    officer = StaffFactory(
        username="lottery_officer", role=Role.LOTTERY_OFFICER, department=transport
    )
    return LotteryWorld(
        transport=transport, rule_set=rule_set, registries=registries, officer=officer
    )


@pytest.fixture
def open_round(lottery_world):
    """``open_round(code="2026-6", quota=2)``: a round open from an hour ago to in a day."""

    def make(code: str = "2026-6", quota: int = 2, rule_set: RuleSet | None = None) -> Round:
        now = timezone.now()
        return round_create(
            code=code,
            name=f"{code}期小客车指标摇号",
            quota=quota,
            applications_open=now - dt.timedelta(hours=1),
            applications_close=now + dt.timedelta(days=1),
            seed_sha256=SEED_SHA256,
            rule_set=rule_set or lottery_world.rule_set,
        )

    return make


def records_set(registries: dict[str, Registry], subject_id: str, records: dict[str, Any]) -> None:
    """The registries' records of ``subject_id``: a dict per registry, ``None`` for none."""
    for code, data in records.items():
        RegistryRecord.objects.filter(registry=registries[code], subject_id=subject_id).delete()
        if data is not None:
            RegistryRecord.objects.create(
                registry=registries[code], subject_id=subject_id, data=data
            )


@pytest.fixture
def person_apply(lottery_world):
    """``person_apply(round_, n, records={...})``: person ``n`` applies, with the demo's
    eligible records except those given."""

    def apply(
        round_: Round, n: int, records: dict[str, Any] | None = None, **kwargs: Any
    ) -> Application:
        subject = resident_id(n)
        records_set(
            lottery_world.registries, subject, {**demo.eligible_person_records(), **(records or {})}
        )
        return application_submit(
            round_=round_,
            id_type=IdType.RESIDENT_ID,
            id_number=subject,
            name=f"申请人{n}",
            **kwargs,
        )

    return apply


@pytest.fixture
def organisation_apply(lottery_world):
    def apply(
        round_: Round, n: int, records: dict[str, Any] | None = None, **kwargs: Any
    ) -> Application:
        subject = uscc(n)
        records_set(
            lottery_world.registries,
            subject,
            {**demo.eligible_organisation_records(), **(records or {})},
        )
        return application_submit(
            round_=round_, id_type=IdType.USCC, id_number=subject, name=f"单位{n}", **kwargs
        )

    return apply


@pytest.fixture
def closed(db):
    """``closed(round_)``: close applications now and answer the fresh round."""
    return lambda round_: round_close(round_=round_)
