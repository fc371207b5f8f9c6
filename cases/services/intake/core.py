"""The front desk's transitions: a case is created, submitted, accepted, refused or withdrawn."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.models import Centre
from departments.models import Bundle, ServiceItem

from ...constants import CaseState, Channel, EventKind
from ...exceptions import CaseError
from ...models import Applicant, Case, CaseEvent
from ...workdays import add_working_days
from ..dispatch import case_dispatch, case_items
from ..numbers import tracking_number_new
from ..review import approvals_void_open
from ..transitions import run_transition
from .centres import case_centre, items_accepted_at

TRACKING_NUMBER_ATTEMPTS = 5


class EmptyCaseError(CaseError):
    pass


def _case_with_key(idempotency_key: str | None) -> Case | None:
    if not idempotency_key:
        return None
    return Case.objects.filter(idempotency_key=idempotency_key).first()


def case_create(
    *,
    applicant: Applicant,
    items: Sequence[ServiceItem] = (),
    bundle: Bundle | None = None,
    channel: str = Channel.WINDOW,
    created_by: Any = None,
    idempotency_key: str | None = None,
    centre: Centre | None = None,
) -> Case:
    """A new case in ``DRAFT`` for the chosen items (or every item of the bundle).

    With an ``idempotency_key`` a repeated call returns the case the first call
    made: a double-clicked submit yields one case, not two.

    The case belongs to ``centre``, by default the centre of the staff member who takes
    it (``created_by``), else (online) the city centre. A centre takes only the items
    whose lowest level reaches down to it: a village point no county-level item.
    """
    existing = _case_with_key(idempotency_key)
    if existing is not None:
        return existing
    chosen = list(items)
    if bundle is not None:
        chosen = [bundle_item.item for bundle_item in bundle.bundle_items.select_related("item")]
    if not chosen:
        raise EmptyCaseError(_("请至少选择一个事项或一件事。"))
    centre = case_centre(centre=centre, created_by=created_by)
    items_accepted_at(centre=centre, items=chosen)
    for _attempt in range(TRACKING_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    tracking_no=tracking_number_new(),
                    applicant=applicant,
                    bundle=bundle,
                    channel=channel,
                    created_by=created_by,
                    centre=centre,
                    idempotency_key=idempotency_key or None,
                )
                case.items.set(chosen)
                CaseEvent.objects.create(
                    case=case,
                    kind=EventKind.TRANSITION,
                    name="create",
                    to_state=CaseState.DRAFT,
                    actor=created_by,
                    actor_label="" if created_by else _("申请人"),
                )
                return case
        except IntegrityError:
            existing = _case_with_key(idempotency_key)
            if existing is not None:
                return existing
            # A tracking-number collision: draw again.
    raise CaseError(_("暂时无法分配办件编号，请重试。"))


def case_submit(*, case: Case, actor: Any = None, actor_label: str = "") -> Case:
    """The applicant (or the clerk for them) hands the application in."""
    return run_transition(case, "submit", actor=actor, actor_label=actor_label)


def case_promised_date(*, items: Iterable[ServiceItem]) -> Any:
    """Promised date of a case with these items: the slowest item, in working days from
    today."""
    days = max((item.promised_working_days for item in items), default=0)
    return add_working_days(timezone.localdate(), days)


def case_accept(*, case: Case, actor: Any = None, actor_label: str = "", note: str = "") -> Case:
    """Everything needed is on file: the case is accepted, the promised date runs, and
    it goes to the departments (``IN_REVIEW``) in the same transaction — accepted and
    dispatched, or neither. The approvals that need not wait start as outbox jobs once
    this commits."""
    with transaction.atomic():
        # One read of the items, for the promised date and for the approvals.
        items = case_items(case_id=case.pk)
        case = run_transition(
            case,
            "accept",
            actor=actor,
            actor_label=actor_label,
            note=note,
            due_date=case_promised_date(items=items),
        )
        # The accept's UPDATE holds the row: the dispatch need not lock it again.
        case = case_dispatch(
            case=case, actor=None, actor_label="system", already_locked=True, items=items
        )
    return case


def case_supplement(*, case: Case, actor: Any = None, actor_label: str = "") -> Case:
    return run_transition(case, "supplement", actor=actor, actor_label=actor_label)


def case_refuse(*, case: Case, reason: str, actor: Any) -> Case:
    if not reason.strip():
        raise CaseError(_("不予受理必须说明理由。"))
    return run_transition(case, "refuse", actor=actor, note=reason, reason=reason)


def case_withdraw(
    *, case: Case, actor: Any = None, actor_label: str = "", reason: str = ""
) -> Case:
    """The applicant withdraws. Open approvals end with it."""
    with transaction.atomic():
        case = run_transition(case, "withdraw", actor=actor, actor_label=actor_label, note=reason)
        approvals_void_open(case=case, note=_("申请人撤回申请。"))
    return case
