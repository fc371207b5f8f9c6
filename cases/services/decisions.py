"""A department's decision on an approval, as the admin buttons and the API take it.

One entry point for both doors: check the input (a reason for a refusal, known
materials for a supplement), check that the approval is still in the state the
reviewer saw, then call the review service that does the work
(``approval_approve``, ``approval_reject``, ``approval_request_supplement``).
Bad input raises ``DecisionInvalidError`` with one message per field and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import MaterialType

from ..constants import TRANSITION_LABELS
from ..exceptions import CaseError, ConcurrentTransitionError
from ..models import Approval
from .review import approval_approve, approval_reject, approval_request_supplement


class ApprovalDecision(models.TextChoices):
    APPROVE = "approve", gettext_lazy("准予")
    REJECT = "reject", gettext_lazy("不予准予")
    SUPPLEMENT = "supplement", gettext_lazy("要求补正")


# The approval transition each decision runs.
DECISION_TRANSITIONS = {
    ApprovalDecision.APPROVE: "approve",
    ApprovalDecision.REJECT: "reject",
    ApprovalDecision.SUPPLEMENT: "request_supplement",
}

NOTE_MAX_LENGTH = 2000


class DecisionInvalidError(CaseError):
    """The decision's input is wrong; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(message for messages in errors.values() for message in messages))


def approval_supplement_choices(*, approval: Approval) -> list[MaterialType]:
    """The materials a supplement may ask for: those the approval's item requires."""
    return list(
        MaterialType.objects.filter(requirements__item_id=approval.item_id).order_by(
            "requirements__position", "requirements__id"
        )
    )


def _materials_checked(
    *, approval: Approval, materials: Iterable[str], errors: dict[str, list[str]]
) -> list[str]:
    wanted: list[str] = []
    for code in materials:
        code = str(code).strip()
        if code and code not in wanted:
            wanted.append(code)
    if not wanted:
        errors.setdefault("materials", []).append(_("要求补正时请至少选择一项需要补正的材料。"))
        return wanted
    known = {material.code: material for material in approval_supplement_choices(approval=approval)}
    unknown = [code for code in wanted if code not in known]
    if unknown:
        errors.setdefault("materials", []).append(
            _("未知材料：%(unknown)s。本事项的材料为：%(known)s。")
            % {
                "unknown": "、".join(unknown),
                "known": "、".join(known) or _("（无）"),
            }
        )
    return wanted


def approval_decide(
    *,
    approval: Approval,
    actor: Any,
    decision: str,
    note: str = "",
    materials: Sequence[str] = (),
    seen_state: str | None = None,
) -> Approval:
    """The reviewer's decision: granted, refused with reasons, or a list of materials to supplement.

    ``seen_state`` is the state the reviewer had on screen: when someone else
    decided meanwhile, the decision is refused ("已被他人处理") instead of being
    applied to a different situation.
    """
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if decision not in ApprovalDecision.values:
        errors["decision"] = [
            _("决定必须是以下之一：%(choices)s。") % {"choices": "、".join(ApprovalDecision.values)}
        ]
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [_("意见最多 %(limit)s 个字。") % {"limit": NOTE_MAX_LENGTH}]
    elif decision == ApprovalDecision.REJECT and not note:
        errors["note"] = [_("不予准予必须写明理由。")]
    codes: list[str] = []
    if decision == ApprovalDecision.SUPPLEMENT:
        codes = _materials_checked(approval=approval, materials=materials, errors=errors)
    elif any(str(code).strip() for code in materials):
        errors["materials"] = [_("只有要求补正时才能列出材料。")]
    if errors:
        raise DecisionInvalidError(errors)

    if seen_state is not None and approval.state != seen_state:
        field = Approval._meta.get_field("state")
        labels = dict(field.flatchoices)  # type: ignore[attr-defined]
        raise ConcurrentTransitionError(
            _(
                "%(what)s 已被他人处理：状态已由「%(seen)s」变为「%(current)s」，未能%(action)s。请刷新后再试。"
            )
            % {
                "what": _("审批 #%(id)s") % {"id": approval.pk},
                "seen": labels.get(seen_state, seen_state),
                "current": labels.get(approval.state, approval.state),
                "action": TRANSITION_LABELS[DECISION_TRANSITIONS[ApprovalDecision(decision)]],
            }
        )

    if decision == ApprovalDecision.APPROVE:
        return approval_approve(approval=approval, actor=actor, note=note)
    if decision == ApprovalDecision.REJECT:
        return approval_reject(approval=approval, actor=actor, note=note)
    return approval_request_supplement(approval=approval, actor=actor, materials=codes, note=note)
