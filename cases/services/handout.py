"""The window hands the result out (综合窗口出件): what a clerk does on the hand-out page.

Each function is one atomic write built on the delivery services: a case still
``APPROVED`` is issued first (its certificates are already in the library), in
the same transaction, so bad input leaves the case exactly as it was.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..constants import CaseState, VisitReason
from ..exceptions import DeliveryInputError
from ..models import Case, Delivery
from .delivery import case_collect, delivery_create, visit_record
from .transitions import run_transition

COLLECTOR_MAX_LENGTH = 50
DENIAL_HANDED_AT_WINDOW = "window"
DENIAL_NOTIFIED = "notified"
DENIAL_NOTE_MAX_LENGTH = 200


def _issue_if_approved(*, case: Case, actor: Any) -> Case:
    if case.state != CaseState.APPROVED:
        return case
    # Issuing is the system's own transition; the clerk's name goes into the label.
    return run_transition(
        case, "issue", actor=None, actor_label=f"window:{getattr(actor, 'username', '')}"[:100]
    )


def case_hand_over_at_window(
    *, case: Case, actor: Any, collected_by: str, by_applicant: bool, id_checked: bool
) -> Case:
    """The result is picked up at the window: one pick-up visit, the case closes.

    ``collected_by`` is who took it (the applicant or someone they sent); the
    clerk must have checked that person's identity document.
    """
    collected_by = (collected_by or "").strip()
    errors: dict[str, list[str]] = {}
    if not collected_by:
        errors["collected_by"] = [_("请填写领取人姓名。")]
    elif len(collected_by) > COLLECTOR_MAX_LENGTH:
        errors["collected_by"] = [
            _("领取人姓名最多%(limit)s个字。") % {"limit": COLLECTOR_MAX_LENGTH}
        ]
    if not id_checked:
        errors["id_checked"] = [_("请先核验领取人的身份证件。")]
    if errors:
        raise DeliveryInputError(errors)
    if by_applicant:
        note = _("本人领取：%(name)s，已核验身份证件") % {"name": collected_by}
    else:
        note = _("受托人领取：%(name)s，已核验身份证件及委托书") % {"name": collected_by}
    with transaction.atomic():
        case = _issue_if_approved(case=case, actor=actor)
        return case_collect(case=case, actor=actor, note=note)


def case_send_by_courier(*, case: Case, actor: Any, **parcel: str) -> tuple[Delivery, bool]:
    """The result goes by courier (``delivery_create``'s fields); the case is issued first if needed."""
    with transaction.atomic():
        case = _issue_if_approved(case=case, actor=actor)
        return delivery_create(case=case, actor=actor, **parcel)


def case_denial_hand_out(*, case: Case, actor: Any, how: str, note: str = "") -> Case:
    """The denial and its reasons were handed over at the window, or the applicant was notified.

    Handed over at the window, the applicant came in person: that is one visit.
    """
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if how not in (DENIAL_HANDED_AT_WINDOW, DENIAL_NOTIFIED):
        errors["how"] = [_("请选择送达方式：窗口当面送达或已通知申请人。")]
    if how == DENIAL_NOTIFIED and not note:
        errors["note"] = [_("请写明通知方式和时间，如“2025-06-01 电话告知本人”。")]
    if len(note) > DENIAL_NOTE_MAX_LENGTH:
        errors["note"] = [
            _("说明最多%(limit)s个字，现在是%(length)s个字。")
            % {"limit": DENIAL_NOTE_MAX_LENGTH, "length": len(note)}
        ]
    if errors:
        raise DeliveryInputError(errors)
    with transaction.atomic():
        case = run_transition(case, "notify", actor=actor, note=note, event_data={"how": how})
        if how == DENIAL_HANDED_AT_WINDOW:
            visit_record(case=case, reason=VisitReason.COLLECT, clerk=actor, note=note)
    return case
