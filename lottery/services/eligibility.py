"""Checking a chunk's applications against the round's rules: the batch reads of the
registries the rules name, then one verdict per application.

Only the subjects still missing a registry are read for it (``facts`` keeps what an
earlier run read); a registry that cannot answer leaves its applicants
``PENDING_REGISTRY`` with a reason that says so, never ineligible.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cases.constants import ApplicantKind
from cases.services.sharing import purpose_text
from departments.models import Registry
from sharing.models import SharingPurpose
from sharing.services import registry_read_batch, sharing_purpose_get_or_create

from ..constants import ApplicationState
from ..models import Round
from ..rules import Compiled, compile_rules, tree_registries

# (application id, applicant kind, subject id, facts already read)
Row = tuple[int, str, str, Any]


def round_purpose(round_: Round) -> SharingPurpose:
    """The data-access log's purpose of a round's verification (one per round)."""
    return sharing_purpose_get_or_create(
        key=f"lottery:{round_.code}",
        purpose=purpose_text("小客车指标摇号资格审核（%(round)s）", round=round_.code),
        department=round_.rule_set.department,
    )


def round_close_date(round_: Round) -> dt.date:
    return timezone.localdate(round_.applications_close)


def compiled_rules(round_: Round) -> dict[str, Compiled]:
    """The round's rule trees per applicant kind, compiled."""
    codes = {code for tree in round_.rule_set.rules.values() for code in tree_registries(tree)}
    names = dict(Registry.objects.filter(code__in=codes).values_list("code", "name"))
    close = round_close_date(round_)
    return {
        kind: compile_rules(tree, close=close, registry_names=names)
        for kind, tree in round_.rule_set.rules.items()
    }


@dataclass(frozen=True)
class Verdict:
    application_id: int
    state: str
    reasons: list[dict[str, str]]
    facts: dict[str, Any] | None


def applications_check(
    *,
    round_: Round,
    rows: list[Row],
    purpose: SharingPurpose | None = None,
    user: Any = None,
) -> list[Verdict]:
    """Read and check ``(id, kind, subject id, facts)`` rows: one batch read per registry
    for the subjects still missing it, then every rule per application."""
    purpose = purpose or round_purpose(round_)
    compiled = compiled_rules(round_)
    registries = {
        registry.code: registry
        for registry in Registry.objects.filter(
            code__in={code for rules in compiled.values() for code in rules.registries}
        )
    }
    # Each kind's rules once, not once per row and registry (a chunk is thousands of rows).
    kind_rules = {kind: _rules_for(compiled, kind) for kind in {row[1] for row in rows}}
    facts = {application_id: dict(decoded_json(known) or {}) for application_id, *_, known in rows}
    unavailable: dict[str, str] = {}
    for code, registry in registries.items():
        is_read = _registry_facts_read(
            registry=registry,
            fields=_fields_read(compiled, code),
            wanted=[
                (application_id, subject)
                for application_id, kind, subject, _known in rows
                if code in kind_rules[kind].registries and code not in facts[application_id]
            ],
            facts=facts,
            purpose=purpose,
            user=user,
        )
        if not is_read:
            unavailable[code] = registry.name
    for code in set(_rules_registries(compiled)) - set(registries):
        unavailable[code] = code
    return [
        _verdict(
            application_id=application_id,
            rules=kind_rules[kind],
            known=facts[application_id],
            unavailable=unavailable,
        )
        for application_id, kind, _subject, _known in rows
    ]


def _fields_read(compiled: dict[str, Compiled], code: str) -> list[str]:
    """Every field of registry ``code`` that any kind's rules read, sorted."""
    return sorted(
        {field for rules in compiled.values() for field in rules.registries.get(code, ())}
    )


def _registry_facts_read(
    *,
    registry: Registry,
    fields: list[str],
    wanted: list[tuple[int, str]],
    facts: dict[int, dict[str, Any]],
    purpose: SharingPurpose,
    user: Any,
) -> bool:
    """One batch read of ``registry`` for the ``(application id, subject)`` pairs wanted,
    its records put into ``facts``; ``False`` when the registry could not answer."""
    if not wanted:
        return True
    reading = registry_read_batch(
        purpose=purpose,
        registry=registry,
        subject_ids=[subject for _id, subject in wanted],
        fields=fields,
        user=user,
    )
    if not reading.ok:
        return False
    for application_id, subject in wanted:
        facts[application_id][registry.code] = reading.records.get(subject)
    return True


def _verdict(
    *, application_id: int, rules: Compiled, known: dict[str, Any], unavailable: dict[str, str]
) -> Verdict:
    """Pending while a registry the rules read is missing from ``known``; else the rules'
    answer."""
    waiting = [code for code in rules.registries if code not in known]
    if waiting:
        return Verdict(
            application_id=application_id,
            state=ApplicationState.PENDING_REGISTRY,
            reasons=[
                {
                    "rule": "",
                    "registry": code,
                    "message": purpose_text(
                        "%(registry)s暂时无法读取，稍后将自动重新核验。",
                        registry=unavailable.get(code, code),
                    ),
                }
                for code in waiting
            ],
            facts=known,
        )
    failures = rules.check(known)
    return Verdict(
        application_id=application_id,
        state=ApplicationState.INELIGIBLE if failures else ApplicationState.ELIGIBLE,
        reasons=failures,
        facts=None,
    )


def _rules_for(compiled: dict[str, Compiled], kind: str) -> Compiled:
    found = compiled.get(kind)
    if found is None:
        # A kind the rule set does not admit: refused with a reason (``application_submit``
        # already refuses it; this covers a rule set changed after the application).
        return Compiled(
            check=lambda facts: [
                {
                    "rule": "APPLICANT_KIND",
                    "registry": "",
                    "message": purpose_text(
                        "本轮不接受%(kind)s申请。", kind=ApplicantKind(kind).label
                    ),
                }
            ],
            registries={},
        )
    return found


def _rules_registries(compiled: dict[str, Compiled]) -> list[str]:
    return [code for rules in compiled.values() for code in rules.registries]


def decoded_json(value: Any) -> Any:
    """A JSON value that may arrive as its text, decoded; anything else as it is."""
    return json.loads(value) if isinstance(value, str) else value
