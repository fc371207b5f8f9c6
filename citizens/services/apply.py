"""Apply online (网上申请, "zero visits"): the window's intake service, with the applicant
as the actor.

Nothing here re-implements intake: the case is opened by ``intake_start`` (channel
online, no clerk, no ``Visit``), the checklist is the window's, scans go through
``case_material_upload`` (the same checks), declined evidence through
``case_material_decline_evidence``, and the submission through
``case_intake_submit`` — accepted and dispatched when nothing is missing, else the
same one-time list of what is missing, which the applicant answers here later.

What this module adds is what a citizen's self-service needs: only items and
bundles meant for this kind of applicant, only their own case, and keys that make a
repeated click harmless (a key from one applicant can never reach another's case).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cases.constants import CaseState, Channel, EventKind
from cases.exceptions import ApplicantInputError, CaseError
from cases.models import Applicant, Case, CaseEvent
from cases.services.intake import (
    IntakeResult,
    case_checklist,
    case_form_update,
    case_intake_submit,
    case_material_decline_evidence,
    case_material_upload,
    case_materials_resolve,
    intake_choice,
    intake_start,
)
from centres.models import Centre
from departments.constants import Audience
from departments.models import Bundle, ServiceItem

from ..exceptions import ApplyError

# States in which the applicant works on the application here: an online draft, or
# any case (window ones too) waiting for the materials of a one-time notice.
ONLINE_EDITABLE_STATES = (CaseState.DRAFT, CaseState.PENDING_MATERIALS)
SUBMIT_EVENT = "online_submit"


def online_actor_label() -> str:
    return _("申请人本人（网上）")


def audiences_for(*, applicant: Applicant) -> tuple[str, str]:
    """The catalogue audiences that fit this applicant: their own kind, and both."""
    return (applicant.kind, Audience.BOTH)


def _key(value: str, *, applicant: Applicant, purpose: str) -> str:
    try:
        parsed = uuid.UUID(str(value or ""))
    except ValueError:
        raise ApplyError(_("页面已过期，请刷新后重试。")) from None
    # Scoped by applicant: another applicant's key can never name this case, nor ours theirs.
    return f"{purpose}:{applicant.pk}:{parsed.hex}"


def _check_audience(
    *, applicant: Applicant, items: Sequence[ServiceItem], bundle: Bundle | None
) -> None:
    fitting = audiences_for(applicant=applicant)
    chosen = [bundle] if bundle is not None else list(items)
    if bundle is not None:
        chosen += [bundle_item.item for bundle_item in bundle.bundle_items.select_related("item")]
    unfit = [entry.name for entry in chosen if entry.audience not in fitting]
    if unfit:
        raise ApplyError(
            _("以下事项不面向%(kind)s办理：%(names)s。")
            % {"kind": applicant.get_kind_display(), "names": "、".join(unfit)}
        )


def online_application_start(
    *,
    applicant: Applicant,
    item_codes: Sequence[str] = (),
    bundle_code: str = "",
    idempotency_key: str,
    centre: Centre | None = None,
) -> IntakeResult:
    """The applicant chooses items or a "one thing" and gets a draft case with its
    checklist: forms prefilled and every material the government already holds found.
    The case goes to ``centre`` (the city centre when none is chosen).

    The same form sent twice (the same key) gives the one case the first made.
    """
    key = _key(idempotency_key, applicant=applicant, purpose="online")
    existing = Case.objects.filter(idempotency_key=key, applicant=applicant).first()
    if existing is None:
        try:
            items, bundle = intake_choice(item_codes=item_codes, bundle_code=bundle_code)
        except CaseError as error:
            raise ApplyError(str(error)) from None
        _check_audience(applicant=applicant, items=items, bundle=bundle)
    try:
        return intake_start(
            id_type=applicant.id_type,
            id_number=applicant.id_number,
            item_codes=item_codes,
            bundle_code=bundle_code,
            channel=Channel.ONLINE,
            user=None,
            idempotency_key=key,
            applicant_present=False,
            centre=centre,
        )
    except CaseError as error:
        raise ApplyError(str(error)) from None


def _own_editable(*, case: Case, applicant: Applicant) -> Case:
    if case.applicant_id != applicant.pk:
        raise ApplyError(_("只能办理本人的办件。"))
    if case.state not in ONLINE_EDITABLE_STATES or (
        case.state == CaseState.DRAFT and case.channel != Channel.ONLINE
    ):
        raise ApplyError(
            _("办件 %(number)s 当前状态为「%(state)s」，不能在网上更改。")
            % {"number": case.tracking_no, "state": case.get_state_display()}
        )
    return case


def online_material_upload(
    *, case: Case, applicant: Applicant, material_type_code: str, file: Any
) -> Any:
    """A scan of one material on the checklist (PDF, JPEG or PNG, checked by content)."""
    _own_editable(case=case, applicant=applicant)
    try:
        return case_material_upload(
            case=case,
            material_type_code=material_type_code,
            file=file,
            actor=None,
            actor_label=online_actor_label(),
        )
    except CaseError as error:
        raise ApplyError(str(error)) from None


def online_evidence_decline(*, case: Case, applicant: Applicant, material_type_code: str) -> Any:
    """The applicant does not want the data on file used for this material: they upload it."""
    _own_editable(case=case, applicant=applicant)
    try:
        return case_material_decline_evidence(
            case=case,
            material_type_code=material_type_code,
            actor=None,
            actor_label=online_actor_label(),
        )
    except CaseError as error:
        raise ApplyError(str(error)) from None


def online_form_update(
    *,
    case: Case,
    applicant: Applicant,
    values_by_item: dict[str, dict[str, str]],
    override_reason: str = "",
) -> Case:
    """The applicant corrects or completes the prefilled application forms.

    As at the window, a value a registry prefilled is changed only with
    ``override_reason``: the change is then recorded (the applicant as its author), a
    reviewer decides the case instead of the automatic decision, and the certificate
    still carries the registry's data. Without a reason nothing of the save is written
    and the ``ApplyError`` names the field at fault."""
    _own_editable(case=case, applicant=applicant)
    try:
        with transaction.atomic():
            for item_code, values in values_by_item.items():
                case = case_form_update(
                    case=case,
                    item_code=item_code,
                    values=values,
                    override_reason=override_reason,
                    actor=None,
                    actor_label=online_actor_label(),
                )
    except ApplicantInputError as error:
        raise ApplyError(str(error), field=error.field) from None
    except CaseError as error:
        raise ApplyError(str(error)) from None
    return case


def online_application_submit(*, case: Case, applicant: Applicant, submit_key: str) -> IntakeResult:
    """Hand the application in online: accepted and sent to the departments when nothing
    is missing, otherwise the one-time list of everything still missing.

    The same submit form sent twice submits once: the second answer is the first's result.
    """
    if case.applicant_id != applicant.pk:
        raise ApplyError(_("只能办理本人的办件。"))
    key = _key(submit_key, applicant=applicant, purpose="submit")
    if _submitted(case=case, key=key):
        return IntakeResult(case=case, checklist=case_checklist(case=case))
    _own_editable(case=case, applicant=applicant)
    # The checklist's registry reads come first, outside the transaction (the sharing
    # gateway reads only there). Resolving is idempotent: a double click that gets this
    # far resolves twice, and still submits once.
    try:
        checklist = case_materials_resolve(case=case)
    except CaseError as error:
        raise ApplyError(str(error)) from None
    with transaction.atomic():
        # The row lock serialises a double click: the second waits, then finds the key.
        case = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
        if _submitted(case=case, key=key):
            return IntakeResult(case=case, checklist=case_checklist(case=case))
        _own_editable(case=case, applicant=applicant)
        try:
            result = case_intake_submit(
                case=case, user=None, actor_label=online_actor_label(), checklist=checklist
            )
        except CaseError as error:
            raise ApplyError(str(error)) from None
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.NOTE,
            name=SUBMIT_EVENT,
            actor=None,
            actor_label=online_actor_label(),
            note=_("申请人在网上提交申请。"),
            data={"key": key, "state": result.case.state},
            is_public=False,
        )
    return result


def _submitted(*, case: Case, key: str) -> bool:
    return CaseEvent.objects.filter(case=case, name=SUBMIT_EVENT, data__key=key).exists()
