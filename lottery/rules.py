"""Eligibility rules as data: checked when saved, compiled once per chunk, run per person.

A rule set holds one tree per applicant kind (``person``, ``organisation``)::

    {"all": [node, ...]}          every node passes
    {"any": [node, ...], "rule": "HUKOU_OR_TAX", "reason": "..."}
                                  one node passes; when none does, the node's own reason
                                  (if it has one) stands for its children's
    {"rule": "DL_VALID", "registry": "DRIVING_LICENCE", "field": "valid_until",
     "op": "on_or_after_close", "reason": "驾驶证有效期不足"}

Operators (a small fixed set): ``equals``, ``in``, ``not_in`` (``value``: the value or a
list), ``gte``, ``lte`` (numbers), ``on_or_after_close`` (a ``YYYY-MM-DD`` date on or after
the round's close) and ``absent`` (the registry holds no record, or the record lacks the
field). A registry with no record for the person fails its rule with a reason that says
so, unless the rule gives ``if_missing``: the value the field is taken to have then (a
person absent from the vehicle registry owns 0 cars).

Reasons are data too, in the language the rule set is written in (the site's, Chinese):
they are what the applicant reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
OPERATORS = ("equals", "in", "not_in", "gte", "lte", "on_or_after_close", "absent")
KINDS = ("person", "organisation")

Record = dict[str, Any] | None
# registry code → the record read (None: no record)
Facts = dict[str, Record]
Failure = dict[str, str]


@dataclass(frozen=True)
class Compiled:
    """A kind's rule tree, ready to run: ``check(facts)`` answers the failures (empty:
    eligible); ``registries`` maps each registry to the fields the tree reads."""

    check: Callable[[Facts], list[Failure]]
    registries: dict[str, tuple[str, ...]]


# -- checking a rule set -------------------------------------------------------------


def rule_set_problems(
    *, rules: Any, weight: Any, registry_codes: set[str] | None = None
) -> list[str]:
    """What is wrong with a rule set, each problem with its place (empty: it is fine)."""
    problems: list[str] = []
    if not isinstance(rules, dict) or not rules:
        return [_("资格规则必须是按申请人类别（person、organisation）给出的对象。")]
    for kind, tree in rules.items():
        if kind not in KINDS:
            problems.append(
                _("未知的申请人类别“%(kind)s”，可用：person、organisation。") % {"kind": kind}
            )
            continue
        _node_problems(tree, kind, problems, registry_codes, seen=set())
    if not isinstance(weight, dict):
        problems.append(_("权重规则必须是对象。"))
    else:
        unknown = set(weight) - {"base", "extra_every_lost_rounds"}
        if unknown:
            problems.append(
                _("权重规则有未知的项：%(names)s。") % {"names": "、".join(sorted(unknown))}
            )
        for name in ("base", "extra_every_lost_rounds"):
            value = weight.get(name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                problems.append(_("权重规则的 %(name)s 必须是正整数。") % {"name": name})
    return problems


def _node_problems(
    node: Any, path: str, problems: list[str], registry_codes: set[str] | None, seen: set[str]
) -> None:
    if not isinstance(node, dict):
        problems.append(_("%(path)s：规则必须是对象。") % {"path": path})
        return
    for combinator in ("all", "any"):
        if combinator in node:
            _combinator_problems(node, combinator, path, problems, registry_codes, seen)
            return
    _leaf_problems(node, path, problems, registry_codes, seen)


def _combinator_problems(
    node: dict[str, Any],
    combinator: str,
    path: str,
    problems: list[str],
    registry_codes: set[str] | None,
    seen: set[str],
) -> None:
    """An ``all`` or ``any`` node: its list of children, its own reason and rule code, then
    each child in turn."""
    children = node[combinator]
    if not isinstance(children, list) or not children:
        problems.append(
            _("%(path)s：%(combinator)s 需要至少一条规则的列表。")
            % {"path": path, "combinator": combinator}
        )
        return
    if "reason" in node and not _text(node["reason"]):
        problems.append(_("%(path)s：reason 不能为空。") % {"path": path})
    if "rule" in node:
        _rule_name_problems(node["rule"], path, problems, seen)
    for index, child in enumerate(children):
        _node_problems(child, f"{path}.{combinator}[{index}]", problems, registry_codes, seen)


def _leaf_problems(
    node: dict[str, Any],
    path: str,
    problems: list[str],
    registry_codes: set[str] | None,
    seen: set[str],
) -> None:
    """A single rule: its code, the keys every rule needs, its registry and its operator."""
    _rule_name_problems(node.get("rule"), path, problems, seen)
    for key in ("registry", "field", "reason"):
        if not _text(node.get(key)):
            problems.append(_("%(path)s：缺少 %(key)s。") % {"path": path, "key": key})
    registry = node.get("registry")
    if registry_codes is not None and _text(registry) and registry not in registry_codes:
        problems.append(
            _("%(path)s：没有代码为“%(code)s”的共享数据库。") % {"path": path, "code": registry}
        )
    _operator_problems(node, path, problems)


def _operator_problems(node: dict[str, Any], path: str, problems: list[str]) -> None:
    """The operator is one of ``OPERATORS`` and has the ``value`` it compares with."""
    op = node.get("op")
    if op not in OPERATORS:
        problems.append(
            _("%(path)s：未知的比较方式“%(op)s”，可用：%(ops)s。")
            % {"path": path, "op": op, "ops": ", ".join(OPERATORS)}
        )
        return
    value = node.get("value")
    if op in ("equals",) and "value" not in node:
        problems.append(_("%(path)s：equals 需要 value。") % {"path": path})
    if op in ("in", "not_in") and not isinstance(value, list):
        problems.append(_("%(path)s：%(op)s 需要值的列表。") % {"path": path, "op": op})
    if op in ("gte", "lte") and _number(value) is None:
        problems.append(_("%(path)s：%(op)s 需要数字。") % {"path": path, "op": op})


def _rule_name_problems(name: Any, path: str, problems: list[str], seen: set[str]) -> None:
    if not _text(name):
        problems.append(_("%(path)s：缺少规则代码 rule。") % {"path": path})
    elif name in seen:
        problems.append(_("%(path)s：规则代码“%(rule)s”重复。") % {"path": path, "rule": name})
    else:
        seen.add(name)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


# -- running it --------------------------------------------------------------------


def compile_rules(
    tree: dict[str, Any], *, close: dt.date, registry_names: dict[str, str]
) -> Compiled:
    """Compile a checked tree. ``close``: the round's closing date; ``registry_names``:
    code → name, for the reasons that name a registry."""
    registries: dict[str, list[str]] = {}
    check = _compile(tree, close, registry_names, registries)
    return Compiled(
        check=check,
        registries={code: tuple(dict.fromkeys(fields)) for code, fields in registries.items()},
    )


def _compile(
    node: dict[str, Any],
    close: dt.date,
    names: dict[str, str],
    registries: dict[str, list[str]],
) -> Callable[[Facts], list[Failure]]:
    if "all" in node or "any" in node:
        is_all = "all" in node
        children = [
            _compile(child, close, names, registries) for child in node["all" if is_all else "any"]
        ]
        if is_all:

            def check_all(facts: Facts) -> list[Failure]:
                failures: list[Failure] = []
                for child in children:
                    failures += child(facts)
                return failures

            return check_all
        own = (
            {
                "rule": node.get("rule", ""),
                "registry": ",".join(tree_registries(node)),
                "message": node["reason"],
            }
            if node.get("reason")
            else None
        )

        def check_any(facts: Facts) -> list[Failure]:
            failures: list[Failure] = []
            for child in children:
                failed = child(facts)
                if not failed:
                    return []
                failures += failed
            return [own] if own is not None else failures

        return check_any
    return _compile_rule(node, close, names, registries)


def tree_registries(node: dict[str, Any]) -> list[str]:
    """The registries a rule tree reads, each once, in the order the tree names them."""
    found = [node["registry"]] if "registry" in node else []
    for child in node.get("all", []) + node.get("any", []):
        found += tree_registries(child)
    return list(dict.fromkeys(found))


_MISSING = object()


def _compile_rule(
    node: dict[str, Any],
    close: dt.date,
    names: dict[str, str],
    registries: dict[str, list[str]],
) -> Callable[[Facts], list[Failure]]:
    registry, field, op, reason = node["registry"], node["field"], node["op"], node["reason"]
    registries.setdefault(registry, []).append(field)
    rule = node["rule"]
    registry_name = names.get(registry, registry)
    if_missing = node.get("if_missing", _MISSING)
    test = _operator(op, node.get("value"), close)
    failure = {"rule": rule, "registry": registry, "message": reason}
    no_record = {
        "rule": rule,
        "registry": registry,
        "message": _("%(registry)s中没有申请人的记录：%(reason)s")
        % {"registry": registry_name, "reason": reason},
    }
    no_field = {
        "rule": rule,
        "registry": registry,
        "message": _("%(registry)s的记录中没有“%(field)s”：%(reason)s")
        % {"registry": registry_name, "field": field, "reason": reason},
    }

    def check(facts: Facts) -> list[Failure]:
        record = facts.get(registry)
        value = _MISSING if record is None else record.get(field, _MISSING)
        if op == "absent":
            return [] if value is _MISSING else [failure]
        if value is _MISSING:
            if if_missing is not _MISSING:
                value = if_missing
            else:
                return [no_record if record is None else no_field]
        return [] if test(value) else [failure]

    return check


def _operator(op: str, expected: Any, close: dt.date) -> Callable[[Any], bool]:
    if op == "equals":
        number = _number(expected) if not isinstance(expected, str) else None
        if number is not None:
            return lambda value: _number(value) == number
        return lambda value: value == expected
    if op == "in":
        allowed = list(expected)
        return lambda value: value in allowed
    if op == "not_in":
        refused = list(expected)
        return lambda value: value not in refused
    if op in ("gte", "lte"):
        bound = _number(expected)
        assert bound is not None

        def compare(value: Any) -> bool:
            number = _number(value)
            if number is None:
                return False
            return number >= bound if op == "gte" else number <= bound

        return compare
    if op == "on_or_after_close":

        def on_or_after(value: Any) -> bool:
            # Only YYYY-MM-DD: ``fromisoformat`` alone would also take 20270101.
            if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
                return False
            try:
                return dt.date.fromisoformat(value) >= close
            except ValueError:
                return False

        return on_or_after
    if op == "absent":
        return lambda value: False  # a present value fails (``check`` decides absence)
    raise ValueError(f"unknown operator {op!r}")


def ticket_weight(*, weight_rule: dict[str, Any], rounds_lost: int) -> int:
    """Tickets of one application: ``base`` plus one for every ``extra_every_lost_rounds``
    earlier rounds the applicant entered without winning (Beijing's stepped odds)."""
    base = int(weight_rule.get("base", 1))
    every = weight_rule.get("extra_every_lost_rounds")
    return base + (rounds_lost // int(every) if every else 0)
