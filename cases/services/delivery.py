"""The comprehensive window hands out the result: at the window, or by courier."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..constants import VisitReason
from ..models import Case, Visit
from .transitions import run_transition


def case_collect(*, case: Case, actor: Any) -> Case:
    """The applicant picks the result up at the window: one visit, case closed."""
    with transaction.atomic():
        case = run_transition(case, "collect", actor=actor)
        Visit.objects.create(case=case, reason=VisitReason.COLLECT, clerk=actor)
    return case


def case_ship(*, case: Case, actor: Any) -> Case:
    return run_transition(case, "ship", actor=actor)


def case_deliver(
    *, case: Case, actor: Any = None, actor_label: str = "", signed_by: str = ""
) -> Case:
    return run_transition(
        case, "deliver", actor=actor, actor_label=actor_label, event_data={"signed_by": signed_by}
    )


def case_return_to_window(
    *, case: Case, actor: Any = None, actor_label: str = "", reason: str = ""
) -> Case:
    """A failed or returned parcel puts the case back in the window queue."""
    return run_transition(
        case, "return_to_window", actor=actor, actor_label=actor_label, note=reason
    )


def case_notify_denial(*, case: Case, actor: Any = None, actor_label: str = "") -> Case:
    """The applicant has been told of the denial and its reasons; the case closes."""
    return run_transition(case, "notify", actor=actor, actor_label=actor_label)
