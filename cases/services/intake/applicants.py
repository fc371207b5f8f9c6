"""Who is applying: the applicant identified by resident ID or credit code, and their details.

The clerk's corrections of the applicant and of the items' forms, the department a
registry read of the intake is made as, and the registry that describes applicants.
Prefill from the registries is in ``prefill``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.identifiers import normalise_identifier, validate_resident_id, validate_uscc
from departments.models import Bundle, Department, Registry, ServiceItem
from departments.roles import user_department_id

from ...constants import ApplicantKind, CaseState, Channel, IdType
from ...exceptions import ApplicantInputError, CaseError
from ...models import Applicant, Case
from ..overrides import (
    APPLICANT_REGISTRY_KIND,
    APPLICANT_TEXT_LIMITS,
    applicant_overrides,
    form_overrides,
    override_reason_clean,
    overrides_record,
)

# While the case is still at the window: registry values may be replaced (with a reason).
INTAKE_STATES = (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.PENDING_MATERIALS)


@dataclass
class IdentifierCheck:
    id_type: str
    id_number: str
    kind: str
    needs_registry_override: bool = False
    problem: str = ""


def applicant_identifier_check(*, id_type: str, id_number: str) -> IdentifierCheck:
    """Validate the number; a credit code wrong only in its check character may be
    accepted later if the legal-person registry holds exactly that code."""
    if id_type not in IdType.values:
        raise ApplicantInputError(
            _("证件类型只能是居民身份证（resident_id）或统一社会信用代码（uscc）。"),
            field="id_type",
        )
    number = normalise_identifier(id_number or "")
    if not number:
        raise ApplicantInputError(_("请填写证件号码。"))
    if id_type == IdType.RESIDENT_ID:
        try:
            validate_resident_id(number)
        except ValidationError as error:
            raise ApplicantInputError(" ".join(error.messages)) from None
        return IdentifierCheck(id_type=id_type, id_number=number, kind=ApplicantKind.PERSON)
    try:
        validate_uscc(number)
    except ValidationError as error:
        if error.code != "uscc_check":
            raise ApplicantInputError(" ".join(error.messages)) from None
        return IdentifierCheck(
            id_type=id_type,
            id_number=number,
            kind=ApplicantKind.ORGANISATION,
            needs_registry_override=True,
            problem=" ".join(error.messages),
        )
    return IdentifierCheck(id_type=id_type, id_number=number, kind=ApplicantKind.ORGANISATION)


def _clean_text(values: dict[str, str]) -> dict[str, str]:
    cleaned = {}
    for name, value in values.items():
        value = (value or "").strip()
        limit = APPLICANT_TEXT_LIMITS[name]
        if len(value) > limit:
            raise ApplicantInputError(
                _("%(field)s最多%(limit)d个字。")
                % {"field": str(Applicant._meta.get_field(name).verbose_name), "limit": limit},
                field=name,
            )
        cleaned[name] = value
    return cleaned


def applicant_get_or_create(
    *, check: IdentifierCheck, name: str = "", phone: str = "", address: str = ""
) -> Applicant:
    """The applicant with this number, created if new; given details replace stored ones."""
    given = _clean_text({"name": name, "phone": phone, "address": address})
    applicant, created = Applicant.objects.get_or_create(
        id_type=check.id_type,
        id_number=check.id_number,
        defaults={
            "kind": check.kind,
            "id_check_overridden": check.needs_registry_override,
            **given,
        },
    )
    if not created:
        changed = [
            name for name, value in given.items() if value and getattr(applicant, name) != value
        ]
        for name in changed:
            setattr(applicant, name, given[name])
        if changed:
            applicant.save(update_fields=[*changed, "updated_at"])
    return applicant


def applicant_update(
    *,
    case: Case,
    name: str,
    phone: str,
    address: str,
    legal_representative: str | None = None,
    override_reason: str = "",
    actor: Any = None,
    actor_label: str = "",
) -> Applicant:
    """The clerk corrects the applicant's details on the checklist page.

    A name, address or legal representative the registry provided stays unless a
    reason is given: then the change is recorded, shown to the reviewer, and the
    case's items wait for one. Once the case has left the window (accepted), the
    registry's values are no longer changed here at all. ``legal_representative``
    ``None``: not on the form, left as it is."""
    applicant = case.applicant
    typed = {"name": name, "phone": phone, "address": address}
    if legal_representative is not None:
        typed["legal_representative"] = legal_representative
    values = _clean_text(typed)
    if not values["name"]:
        raise ApplicantInputError(_("请填写申请人姓名或名称。"), field="name")
    prefill = case.registry_prefill or {}
    overrides = applicant_overrides(
        registry_values=prefill.get("applicant") or {},
        typed=values,
        current={key: getattr(applicant, key) for key in values},
        registry=prefill.get("registry", ""),
    )
    if overrides and case.state not in INTAKE_STATES:
        raise ApplicantInputError(
            _("办件已受理，不能再改动共享数据登记的「%(field)s」。")
            % {"field": overrides[0].label},
            field=overrides[0].field,
        )
    reason = override_reason_clean(reason=override_reason, overrides=overrides)
    with transaction.atomic():
        for key, value in values.items():
            setattr(applicant, key, value)
        applicant.save()
        overrides_record(
            case=case,
            overrides=overrides,
            reason=reason,
            actor=actor,
            actor_label=actor_label,
            verification_id=prefill.get("verification"),
        )
    return applicant


def intake_department(
    *,
    user: Any,
    case: Case | None = None,
    channel: str = "",
    items: Sequence[ServiceItem] = (),
    bundle: Bundle | None = None,
) -> Department | None:
    """The department a registry read of the intake is made as.

    A staff user reads as their own department. An online application has no clerk
    and no window: it reads as the department of its first item (the bundle's order,
    else by code), the same department the checklist's reads use for that item, so
    the applicant's data tracker names the department that actually handles the
    matter. Otherwise (the window, the API without a department) the service centre's.
    A read made before the case exists (the check of a credit code) describes the case
    about to be opened by its ``channel`` and its chosen ``items`` or ``bundle``.
    """
    department_id = user_department_id(user)
    if department_id is not None:
        return Department.objects.get(pk=department_id)
    if case is not None:
        channel = case.channel
    if channel == Channel.ONLINE:
        first_item = (
            _first_item(case) if case is not None else _first_chosen(items=items, bundle=bundle)
        )
        if first_item is not None:
            return first_item.department
    return Department.objects.filter(code=settings.WINDOW_DEPARTMENT_CODE).first()


def _first_item(case: Case) -> ServiceItem | None:
    items = list(case.items.select_related("department"))
    if not items:
        return None
    if case.bundle_id:
        positions = dict(case.bundle.bundle_items.values_list("item_id", "position"))
        return min(items, key=lambda item: (positions.get(item.pk, 10_000), item.code))
    return min(items, key=lambda item: item.code)


def _first_chosen(*, items: Sequence[ServiceItem], bundle: Bundle | None) -> ServiceItem | None:
    """``_first_item`` of the case that these items (or this bundle) will make."""
    if bundle is not None:
        bundle_items = list(bundle.bundle_items.select_related("item__department"))
        if not bundle_items:
            return None
        return min(bundle_items, key=lambda chosen: (chosen.position, chosen.item.code)).item
    return min(items, key=lambda item: item.code, default=None)


def _registry_of_kind(kind: str) -> Registry | None:
    return Registry.objects.filter(kind=kind).order_by("code").first()


def applicant_registry(*, kind: str) -> Registry | None:
    """The registry that describes applicants of this kind (persons, organisations)."""
    return _registry_of_kind(APPLICANT_REGISTRY_KIND[kind])


def case_form_update(
    *,
    case: Case,
    item_code: str,
    values: dict[str, Any],
    override_reason: str = "",
    actor: Any = None,
    actor_label: str = "",
) -> Case:
    """The clerk (or the online applicant) corrects form fields of one item; only the
    item's declared fields are kept.

    A value a registry prefilled is replaced only with a reason (recorded, shown to the
    reviewer, and no item of the case is then decided automatically); without one the
    change is refused (``ApplicantInputError`` on ``<item>__<field>``) and nothing is saved."""
    item = case.items.filter(code=item_code).first()
    if item is None:
        raise CaseError(_("办件中没有事项 %(code)s。") % {"code": item_code})
    specs = [spec for spec in item.form_fields or [] if isinstance(spec, dict) and spec.get("name")]
    names = {spec["name"] for spec in specs}
    cleaned = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in values.items()
        if name in names
    }
    overrides = form_overrides(
        case=case,
        item_code=item_code,
        labels={spec["name"]: str(spec.get("label") or spec["name"]) for spec in specs},
        registries={
            spec["name"]: str(spec.get("prefill") or "").partition(".")[0] for spec in specs
        },
        values=cleaned,
    )
    if overrides and case.state not in INTAKE_STATES:
        raise ApplicantInputError(
            _("办件已受理，不能再改动共享数据登记的「%(field)s」。")
            % {"field": overrides[0].label},
            field=overrides[0].input_name,
        )
    reason = override_reason_clean(reason=override_reason, overrides=overrides)
    with transaction.atomic():
        form_data = dict(case.form_data or {})
        current = dict(form_data.get(item_code) or {})
        current.update(cleaned)
        form_data[item_code] = current
        case.form_data = form_data
        case.save(update_fields=["form_data", "updated_at"])
        overrides_record(
            case=case,
            overrides=overrides,
            reason=reason,
            actor=actor,
            actor_label=actor_label,
            verification_id=None,
        )
    return case
