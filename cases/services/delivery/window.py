"""The comprehensive window hands the result over in person, and counts every visit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ...constants import VisitReason
from ...exceptions import DeliveryInputError
from ...models import Case, Visit
from ..transitions import run_transition

VISIT_NOTE_MAX_LENGTH = 200


def visit_record(*, case: Case, reason: str, clerk: Any = None, note: str = "") -> Visit:
    """The applicant came to the window in person, for ``reason``: one more visit on the case.

    Intake at the window, a supplement handed over, identity checks and pick-up
    each record one; the case's visit count is what supervision measures.
    """
    errors: dict[str, list[str]] = {}
    if reason not in VisitReason.values:
        errors["reason"] = [
            _("到场原因「%(reason)s」无效，可选：%(choices)s。")
            % {"reason": reason, "choices": "、".join(str(label) for label in VisitReason.labels)}
        ]
    note = (note or "").strip()
    if len(note) > VISIT_NOTE_MAX_LENGTH:
        errors["note"] = [
            _("说明最多%(limit)s个字，现在是%(length)s个字。")
            % {"limit": VISIT_NOTE_MAX_LENGTH, "length": len(note)}
        ]
    if errors:
        raise DeliveryInputError(errors)
    return Visit.objects.create(case=case, reason=reason, clerk=clerk, note=note)


def case_collect(*, case: Case, actor: Any, note: str = "") -> Case:
    """The applicant picks the result up at the window: one visit (pick-up), case closed."""
    with transaction.atomic():
        case = run_transition(case, "collect", actor=actor, note=note)
        visit_record(case=case, reason=VisitReason.COLLECT, clerk=actor, note=note)
    return case


def case_notify_denial(*, case: Case, actor: Any = None, actor_label: str = "") -> Case:
    """The applicant has been told of the denial and its reasons; the case closes."""
    return run_transition(case, "notify", actor=actor, actor_label=actor_label)
