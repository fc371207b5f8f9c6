"""The intake journey, as the window pages and the API both run it.

1. ``intake_start``: the applicant's number and the chosen items (or bundle) →
   a draft case, prefilled from the registries, with its checklist resolved.
2. Uploads and declined evidence (``materials.py``).
3. ``case_intake_submit``: accepted and dispatched when nothing is missing,
   otherwise the one-time notice of everything missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from centres.models import Centre
from departments.models import Bundle, ServiceItem

from ...constants import CaseState, Channel, EventKind, VerificationOutcome, VisitReason
from ...exceptions import CaseError
from ...models import Applicant, Case, CaseEvent, Verification, Visit
from ...selectors.window import window_case_open_to
from ..overrides import (
    GUARDED_APPLICANT_FIELDS,
    FieldOverride,
    applicant_overrides,
    applicant_registry_values,
    override_reason_clean,
    overrides_record,
)
from ..sharing import RegistryReading, purpose_text, registry_read
from .applicants import (
    ApplicantInputError,
    IdentifierCheck,
    applicant_get_or_create,
    applicant_identifier_check,
    applicant_registry,
    intake_department,
)
from .centres import case_centre, items_accepted_at
from .core import case_accept, case_create, case_submit, case_supplement
from .notices import case_request_materials, notice_entries
from .prefill import case_prefill
from .resolution import ChecklistEntry, case_checklist, case_materials_resolve, checklist_missing


class IntakeInputError(CaseError):
    """Bad intake input; ``field`` names the input it is about."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class IntakeResult:
    case: Case
    checklist: list[ChecklistEntry] = field(default_factory=list)

    @property
    def missing(self) -> list[ChecklistEntry]:
        return checklist_missing(self.checklist)


def intake_choice(
    *, item_codes: Sequence[str] = (), bundle_code: str = ""
) -> tuple[list[ServiceItem], Bundle | None]:
    """The items asked for: every code must be a known, active item; or one bundle."""
    codes = [code.strip() for code in item_codes if code and code.strip()]
    if bundle_code:
        bundle = Bundle.objects.filter(code=bundle_code.strip()).first()
        if bundle is None:
            raise IntakeInputError(
                _("没有代码为 %(code)s 的一件事。") % {"code": bundle_code}, field="bundle"
            )
        return [], bundle
    if not codes:
        raise IntakeInputError(_("请至少选择一个事项或一件事。"), field="items")
    found = {item.code: item for item in ServiceItem.objects.filter(code__in=codes, is_active=True)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise IntakeInputError(
            _("没有这些事项（或已停用）：%(codes)s。") % {"codes": "、".join(unknown)},
            field="items",
        )
    return [found[code] for code in dict.fromkeys(codes)], None


def _override_confirm(
    *,
    check: IdentifierCheck,
    channel: str,
    items: Sequence[ServiceItem],
    bundle: Bundle | None,
    user: Any,
) -> RegistryReading:
    """A credit code failing its check character stands only if the legal-person registry
    holds exactly that code. Read before the case exists (the answer decides whether it
    is opened), so the read is logged without a case, and stays logged when no case is
    opened; the case opened after it points at the row."""
    registry = applicant_registry(kind=check.kind)
    department = intake_department(user=user, channel=channel, items=items, bundle=bundle)
    if registry is None or department is None:
        raise ApplicantInputError(_("统一社会信用代码校验码错误，且无法查询法人库确认。"))
    reading = registry_read(
        registry=registry,
        subject_id=check.id_number,
        purpose=purpose_text(gettext_lazy("受理新办件：确认校验码例外的统一社会信用代码")),
        department=department,
        case=None,
        opening_case=True,
        applicant=Applicant.objects.filter(
            id_type=check.id_type, id_number=check.id_number
        ).first(),
        user=user,
    )
    if reading.outcome != VerificationOutcome.OK:
        raise ApplicantInputError(
            _("统一社会信用代码校验码错误，且法人库中没有这个代码。请核对代码。")
        )
    return reading


def _typed_against_registry(
    *,
    check: IdentifierCheck,
    typed: dict[str, str],
    channel: str,
    items: Sequence[ServiceItem],
    bundle: Bundle | None,
    user: Any,
    reading: RegistryReading | None,
) -> tuple[list[FieldOverride], int | None]:
    """The typed name or address that differ from the applicant's registry record.

    Asked before the case exists, so that a difference without a reason opens no case
    at all: the read is logged without a case (as ``_override_confirm``'s), and the
    override events of the case opened after it point at the row. ``reading``: that
    registry's record already read for this request."""
    typed = {name: value for name, value in typed.items() if (value or "").strip()}
    if not any(name in GUARDED_APPLICANT_FIELDS for name in typed):
        return [], None
    registry = applicant_registry(kind=check.kind)
    if registry is None:
        return [], None
    if reading is None:
        department = intake_department(user=user, channel=channel, items=items, bundle=bundle)
        if department is None:
            return [], None
        reading = registry_read(
            registry=registry,
            subject_id=check.id_number,
            purpose=purpose_text(
                gettext_lazy("受理新办件：核对填写的申请人信息与登记信息是否一致")
            ),
            department=department,
            case=None,
            opening_case=True,
            applicant=Applicant.objects.filter(
                id_type=check.id_type, id_number=check.id_number
            ).first(),
            user=user,
        )
    if reading.outcome != VerificationOutcome.OK or not reading.data:
        return [], reading.verification.pk
    overrides = applicant_overrides(
        registry_values=applicant_registry_values(kind=check.kind, record=reading.data),
        typed=typed,
        registry=registry.code,
    )
    return overrides, reading.verification.pk


def _override_record(*, case: Case, verification: Verification, user: Any) -> None:
    CaseEvent.objects.create(
        case=case,
        kind=EventKind.NOTE,
        name="id_check_override",
        actor=user if getattr(user, "is_authenticated", False) else None,
        note=_("统一社会信用代码未通过校验，但法人库登记的正是此代码，予以接受。"),
        data={"verification": verification.pk},
        is_public=False,
    )


def _replayed(case: Case, *, user: Any) -> IntakeResult:
    """The case an earlier call with the same idempotency key made — if this user may
    open it: a village agent sending a key another user's case was made with learns
    nothing of that case."""
    if not window_case_open_to(case=case, user=user):
        raise IntakeInputError(
            _("这个幂等键已用于别人建立的办件，请换一个新的再提交。"), field="idempotency_key"
        )
    return IntakeResult(case=case, checklist=_checklist(case, user=user))


def intake_start(
    *,
    id_type: str,
    id_number: str,
    item_codes: Sequence[str] = (),
    bundle_code: str = "",
    channel: str = Channel.WINDOW,
    name: str = "",
    phone: str = "",
    address: str = "",
    user: Any = None,
    idempotency_key: str | None = None,
    applicant_present: bool | None = None,
    override_reason: str = "",
    centre: Centre | None = None,
) -> IntakeResult:
    """Open a case: identify the applicant, choose the items, prefill, resolve the checklist.

    The same ``idempotency_key`` returns the case the first call made. At the
    window the applicant is present (a ``Visit`` is recorded); a village agent's
    case records the agent as acting for the applicant. A typed name or address
    that differs from the registry's needs ``override_reason``: without one no case
    is opened; with one the change is recorded and the items wait for a reviewer.
    """
    if idempotency_key:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, user=user)
    if channel not in Channel.values:
        raise IntakeInputError(_("渠道只能是 window、online 或 agent。"), field="channel")
    if channel == Channel.AGENT and not getattr(user, "is_authenticated", False):
        raise IntakeInputError(_("代办件必须由登录的代办员提交。"), field="channel")
    check = applicant_identifier_check(id_type=id_type, id_number=id_number)
    items, bundle = intake_choice(item_codes=item_codes, bundle_code=bundle_code)
    # Where the case is taken, and whether that centre may take its items: refused before
    # any registry is read.
    staff = user if getattr(user, "is_authenticated", False) else None
    centre = case_centre(centre=centre, created_by=staff)
    items_accepted_at(
        centre=centre,
        items=items
        or [bundle_item.item for bundle_item in bundle.bundle_items.select_related("item")],
    )
    # Registry reads never run inside a transaction (see the sharing gateway).
    override = (
        _override_confirm(check=check, channel=channel, items=items, bundle=bundle, user=user)
        if check.needs_registry_override
        else None
    )
    changes, compared_with = _typed_against_registry(
        check=check,
        typed={"name": name, "address": address},
        channel=channel,
        items=items,
        bundle=bundle,
        user=user,
        reading=override,
    )
    reason = override_reason_clean(reason=override_reason, overrides=changes)
    started = timezone.now()
    with transaction.atomic():
        applicant = applicant_get_or_create(check=check, name=name, phone=phone, address=address)
        case = case_create(
            applicant=applicant,
            items=items,
            bundle=bundle,
            channel=channel,
            created_by=staff,
            idempotency_key=idempotency_key or None,
            centre=centre,
        )
        if case.created_at < started:
            # A concurrent twin with the same key made it first: that case is the answer.
            return _replayed(case, user=user)
        if override is not None:
            _override_record(case=case, verification=override.verification, user=user)
        overrides_record(
            case=case,
            overrides=changes,
            reason=reason,
            actor=user,
            actor_label=_("申请人"),
            verification_id=compared_with,
        )
        if channel == Channel.AGENT:
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.NOTE,
                name="agent_acting",
                actor=user,
                note=_("代办员 %(agent)s 代申请人办理。") % {"agent": user.get_username()},
            )
        present = channel == Channel.WINDOW if applicant_present is None else applicant_present
        if present:
            Visit.objects.create(
                case=case,
                reason=VisitReason.INTAKE,
                clerk=user if getattr(user, "is_authenticated", False) else None,
            )
    # The case is committed; the registry reads come after, outside any long transaction,
    # so other windows are not held up by this one's reads. Both steps are idempotent:
    # if this request dies here, repeating it (same key) finishes the job.
    case_prefill(case=case, user=user)
    checklist = case_materials_resolve(case=case, user=user)
    return IntakeResult(case=case, checklist=checklist)


def _checklist(case: Case, *, user: Any) -> list[ChecklistEntry]:
    """A repeated request's answer; resolves what an interrupted first request left undone."""
    checklist = case_checklist(case=case)
    if any(entry.material.pk is None for entry in checklist):
        checklist = case_materials_resolve(case=case, user=user)
    return checklist


def case_intake_submit(
    *,
    case: Case,
    user: Any = None,
    actor_label: str = "",
    defects: dict[str, str] | None = None,
    checklist: list[ChecklistEntry] | None = None,
) -> IntakeResult:
    """Hand the application in: accepted and dispatched when nothing is missing,
    otherwise the one-time notice listing every missing (or defective) material.

    A supplemented case (``PENDING_MATERIALS``) goes through the same door. The
    checklist is resolved first (its registry reads run outside any transaction);
    a caller that must submit inside a transaction of its own resolves it before
    opening that transaction and passes it as ``checklist``.
    """
    actor = user if getattr(user, "is_authenticated", False) else None
    if case.state not in (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS):
        raise CaseError(
            _("办件 %(number)s 当前状态为「%(state)s」，不能提交。")
            % {"number": case.tracking_no, "state": case.get_state_display()}
        )
    if not case.applicant.name:
        raise IntakeInputError(_("请填写申请人姓名或名称。"), field="name")
    if checklist is None:
        checklist = case_materials_resolve(case=case, user=user)
    missing = checklist_missing(checklist)
    defects = {code: reason.strip() for code, reason in (defects or {}).items() if reason.strip()}
    unknown = sorted(set(defects) - {entry.material_type.code for entry in checklist})
    if unknown:
        raise IntakeInputError(
            _("本办件不需要这些材料：%(codes)s。") % {"codes": "、".join(unknown)},
            field="defects",
        )
    with transaction.atomic():
        if case.state == CaseState.DRAFT:
            case = case_submit(case=case, actor=actor, actor_label=actor_label)
        elif case.state == CaseState.PENDING_MATERIALS:
            case = case_supplement(case=case, actor=actor, actor_label=actor_label)
        if not missing and not defects:
            case = case_accept(case=case, actor=actor, actor_label=actor_label)
        else:
            entries = notice_entries(missing=missing, defects=defects, checklist=checklist)
            case = case_request_materials(
                case=case,
                missing=[line["material_type"] for line in entries],
                actor=actor,
                actor_label=actor_label,
                entries=entries,
            )
    return IntakeResult(case=case, checklist=checklist)


def case_visit_record(*, case: Case, reason: str, user: Any, note: str = "") -> Visit:
    """The applicant came in person (to supplement, for fingerprints...)."""
    return Visit.objects.create(case=case, reason=reason, note=note[:200], clerk=user)


__all__ = [
    "IntakeInputError",
    "IntakeResult",
    "case_intake_submit",
    "case_visit_record",
    "intake_choice",
    "intake_start",
]
