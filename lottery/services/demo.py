"""The demo's car-quota round (``manage.py load_demo``): the rule set of ``lottery/demo.py``,
round ``2026-6`` open now, and applications from a share of the demo persons and
organisations, made through ``application_submit`` on the three channels.

The demo round's draw seed is ``DEMO_SEED_HEX`` below, public on purpose so that a
maintainer can run the whole round (a real round keeps its seed secret until the draw
and publishes only its SHA-256, the commitment):

    close the round (the officer's button in the admin, or ``POST
    /api/v1/lottery/rounds/2026-6/close/``), then
    python manage.py lottery_verify 2026-6
    python manage.py lottery_draw 2026-6 --seed <DEMO_SEED_HEX>

Running the load again changes nothing: the rule set is put back only if it was changed,
the round keeps its dates (set when it was first made), and only the demo applicants who
have not applied yet apply, while the round is still open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases.constants import IdType
from departments.demo.people import build_demo_population
from departments.models import Department
from departments.services.demo import TRANSPORT_DEPARTMENT_CODE

from .. import demo
from ..constants import Channel
from ..models import Application, Round, RuleSet
from .applications import application_submit
from .rounds import round_create

DEMO_ROUND_CODE = "2026-6"
DEMO_ROUND_NAME = "2026年第6期小客车指标摇号（演示）"
# Public: the demo's seed, so that its draw can be run (see the module's docstring).
DEMO_SEED_HEX = "afd8f1d5792e2231aca0432ac6323873652648da3e1e298e52bde8d8aa8c499f"
DEMO_SEED_SHA256 = hashlib.sha256(bytes.fromhex(DEMO_SEED_HEX)).hexdigest()
# When the round is first made: open since a week, closing in a month.
OPEN_SINCE = dt.timedelta(days=7)
OPEN_FOR = dt.timedelta(days=30)
# The quota is a tenth of the demo applications (Beijing's odds are far lower).
QUOTA_SHARE = 10
APPLICANT_SEED = 2026_06
# Who applies: most licence holders, a few without a licence (and so ineligible), a
# quarter of the organisations.
SHARE_WITH_LICENCE = 0.6
SHARE_WITHOUT_LICENCE = 0.05
SHARE_OF_ORGANISATIONS = 0.25
CHANNELS = (Channel.ONLINE, Channel.WINDOW, Channel.AGENT)
CHANNEL_WEIGHTS = (70, 20, 10)
# Who receives the applications made at a window or by an agent (demo logins).
CHANNEL_STAFF = {Channel.WINDOW: "clerk", Channel.AGENT: "agent"}


class LotteryDemoError(Exception):
    """The lottery demo cannot be loaded; the message says why."""


@dataclass(frozen=True)
class DemoApplicant:
    id_type: str
    id_number: str
    name: str
    phone: str
    channel: str


@dataclass(frozen=True)
class LotteryDemo:
    rule_set: str  # created, updated or unchanged
    round_code: str
    is_round_created: bool
    is_round_open: bool
    quota: int
    applications: int
    applications_created: int
    # Demo applicants who have not applied and cannot now (the round is closed).
    applications_missing: int


def demo_applicants() -> list[DemoApplicant]:
    """The demo persons and organisations who apply, with their channel: the same on
    every call."""
    population = build_demo_population()
    licensed = set(population.records["DRIVING_LICENCE"])
    rng = random.Random(APPLICANT_SEED)
    chosen: list[DemoApplicant] = []
    for person in population.persons:
        share = SHARE_WITH_LICENCE if person.resident_id in licensed else SHARE_WITHOUT_LICENCE
        if rng.random() < share:
            chosen.append(
                DemoApplicant(
                    id_type=IdType.RESIDENT_ID,
                    id_number=person.resident_id,
                    name=person.name,
                    phone=person.phone,
                    channel=rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0],
                )
            )
    for organisation in population.organisations:
        if rng.random() < SHARE_OF_ORGANISATIONS:
            chosen.append(
                DemoApplicant(
                    id_type=IdType.USCC,
                    id_number=organisation.credit_code,
                    name=organisation.name,
                    phone=organisation.phone,
                    channel=rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0],
                )
            )
    return chosen


def lottery_demo_load() -> LotteryDemo:
    """Make sure the demo rule set, the demo round and its applications exist (after
    ``departments.services.demo.demo_load``: it needs the transport department and the
    window and agent logins)."""
    department = Department.objects.filter(code=TRANSPORT_DEPARTMENT_CODE).first()
    if department is None:
        raise LotteryDemoError(
            f"The demo has no department {TRANSPORT_DEPARTMENT_CODE} (the transport "
            "department that runs the car-quota round): load the demo catalogue first."
        )
    applicants = demo_applicants()
    with transaction.atomic():
        rule_set, rule_set_outcome = _rule_set_sync(department=department)
        round_ = Round.objects.filter(code=DEMO_ROUND_CODE).first()
        is_created = round_ is None
        if round_ is None:
            now = timezone.now()
            round_ = round_create(
                code=DEMO_ROUND_CODE,
                name=DEMO_ROUND_NAME,
                quota=max(1, len(applicants) // QUOTA_SHARE),
                applications_open=now - OPEN_SINCE,
                applications_close=now + OPEN_FOR,
                seed_sha256=DEMO_SEED_SHA256,
                rule_set=rule_set,
            )
        applied = set(
            Application.objects.filter(round=round_).values_list(
                "applicant__id_type", "applicant__id_number"
            )
        )
        missing = [
            applicant
            for applicant in applicants
            if (applicant.id_type, applicant.id_number) not in applied
        ]
        is_open = round_.is_open()
        created = 0
        if is_open and missing:
            staff = _channel_staff()
            for applicant in missing:
                application_submit(
                    round_=round_,
                    id_type=applicant.id_type,
                    id_number=applicant.id_number,
                    name=applicant.name,
                    phone=applicant.phone,
                    channel=applicant.channel,
                    user=staff.get(applicant.channel),
                )
                created += 1
        total = Application.objects.filter(round=round_).count()
    return LotteryDemo(
        rule_set=rule_set_outcome,
        round_code=round_.code,
        is_round_created=is_created,
        is_round_open=is_open,
        quota=round_.quota,
        applications=total,
        applications_created=created,
        applications_missing=len(missing) - created,
    )


def _rule_set_sync(*, department: Department) -> tuple[RuleSet, str]:
    wanted: dict[str, Any] = {
        "name": demo.RULE_SET_NAME,
        "department_id": department.pk,
        "rules": demo.RULES,
        "weight": demo.WEIGHT,
    }
    rule_set = RuleSet.objects.filter(code=demo.RULE_SET_CODE).first()
    if rule_set is None:
        return RuleSet.objects.create(code=demo.RULE_SET_CODE, **wanted), "created"
    changed = [name for name, value in wanted.items() if getattr(rule_set, name) != value]
    if not changed:
        return rule_set, "unchanged"
    for name in changed:
        setattr(rule_set, name, wanted[name])
    rule_set.save(update_fields=[*changed, "updated_at"])
    return rule_set, "updated"


def _channel_staff() -> dict[str, Any]:
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=CHANNEL_STAFF.values())
    }
    return {channel: users.get(username) for channel, username in CHANNEL_STAFF.items()}
