"""Changes to what a registry provided: refused without a reason, recorded with one.

Intake prefills the applicant's name, address and legal representative from the
population or legal-person registry, and form fields from the registries their
catalogue entries name. Those values are what the certificate will say. A clerk, an
agent or an online applicant who types something else must say why: the change is
then a ``registry_override`` event (the field, the registry's value, the typed value,
the reason), the reviewer sees it, and none of the case's items is decided
automatically (``case_has_registry_override``). Without a reason (or with a reason of
only spaces, or an overlong one) the change is refused and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from departments.constants import RegistryKind

from ..constants import REGISTRY_OVERRIDE_EVENT, ApplicantKind, EventKind
from ..exceptions import ApplicantInputError
from ..models import Applicant, Case, CaseEvent
from ..selectors.engine import case_event_exists
from ..selectors.overrides import override_value_masked

# The registry that describes each kind of applicant, and its fields for the applicant's own.
APPLICANT_REGISTRY_KIND = {
    ApplicantKind.PERSON: RegistryKind.POPULATION,
    ApplicantKind.ORGANISATION: RegistryKind.LEGAL_PERSON,
}
APPLICANT_FIELDS_FROM_REGISTRY = {
    ApplicantKind.PERSON: {"name": "name", "address": "address", "phone": "phone"},
    ApplicantKind.ORGANISATION: {
        "name": "name",
        "address": "registered_address",
        "phone": "phone",
        "legal_representative": "legal_representative",
    },
}
APPLICANT_TEXT_LIMITS = {"name": 200, "phone": 20, "address": 300, "legal_representative": 100}

OVERRIDE_EVENT = REGISTRY_OVERRIDE_EVENT
OVERRIDE_REASON_MAX_LENGTH = 500
# The applicant's fields a registry provides and the certificate shows or identifies
# the holder by. The phone is a contact detail the registry may not have current: it
# is prefilled, but a new number is no change to what is certified.
GUARDED_APPLICANT_FIELDS = ("name", "address", "legal_representative")
# The applicant's fields a certificate shows (``certificates.services.rendering``): taken
# from the registry that verified the applicant, never from what was typed.
CERTIFIED_APPLICANT_FIELDS = ("name", "legal_representative")


@dataclass(frozen=True)
class FieldOverride:
    """One registry-provided value replaced by a typed one. ``item``: the item whose
    form field it is ("" for the applicant's own details)."""

    field: str
    label: str
    registry_value: str
    typed_value: str
    item: str = ""
    registry: str = ""

    @property
    def input_name(self) -> str:
        """The field as the window's forms and the API name it."""
        return f"{self.item}__{self.field}" if self.item else self.field


def applicant_registry_values(*, kind: str, record: Mapping[str, Any]) -> dict[str, str]:
    """The applicant's own fields as the registry's record gives them (empty ones left out)."""
    values = {}
    for name, key in APPLICANT_FIELDS_FROM_REGISTRY[kind].items():
        value = str(record.get(key) or "").strip()[: APPLICANT_TEXT_LIMITS[name]]
        if value:
            values[name] = value
    return values


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def applicant_field_label(name: str) -> str:
    return str(Applicant._meta.get_field(name).verbose_name)


def applicant_overrides(
    *,
    registry_values: Mapping[str, Any],
    typed: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    registry: str = "",
) -> list[FieldOverride]:
    """The guarded fields where ``typed`` differs from what the registry holds.

    A field the registry left empty is nobody's to guard; a value already stored
    (``current``, an override recorded before) is not changed again by sending it again.
    """
    overrides = []
    for name in GUARDED_APPLICANT_FIELDS:
        if name not in typed or typed[name] is None:
            continue
        registry_value = _text(registry_values.get(name))
        typed_value = _text(typed[name])
        if not registry_value or typed_value == registry_value:
            continue
        if current is not None and typed_value == _text(current.get(name)):
            continue
        overrides.append(
            FieldOverride(
                field=name,
                label=applicant_field_label(name),
                registry_value=registry_value,
                typed_value=typed_value,
                registry=registry,
            )
        )
    return overrides


def form_overrides(
    *,
    case: Case,
    item_code: str,
    labels: Mapping[str, str],
    registries: Mapping[str, str],
    values: Mapping[str, Any],
) -> list[FieldOverride]:
    """The item's form fields where the new value differs from the registry's prefill
    (and from what is stored: resending an earlier, recorded change is no new change)."""
    prefilled = ((case.registry_prefill or {}).get("forms") or {}).get(item_code) or {}
    stored = (case.form_data or {}).get(item_code) or {}
    overrides = []
    for name, value in values.items():
        if name not in prefilled:
            continue
        registry_value = _text(prefilled[name])
        typed_value = _text(value)
        if not registry_value or typed_value == registry_value:
            continue
        if typed_value == _text(stored.get(name)):
            continue
        overrides.append(
            FieldOverride(
                field=name,
                label=labels.get(name) or name,
                registry_value=registry_value,
                typed_value=typed_value,
                item=item_code,
                registry=registries.get(name, ""),
            )
        )
    return overrides


def override_reason_clean(*, reason: str | None, overrides: list[FieldOverride]) -> str:
    """The reason for ``overrides``, or an ``ApplicantInputError`` on the field at fault:
    the first changed field when no reason was given, the reason itself when it is
    only spaces or too long. No overrides: nothing to explain, the reason is unused."""
    if not overrides:
        return ""
    raw = reason or ""
    cleaned = raw.strip()
    if len(cleaned) > OVERRIDE_REASON_MAX_LENGTH:
        raise ApplicantInputError(
            _("改动理由最多%(limit)d个字。") % {"limit": OVERRIDE_REASON_MAX_LENGTH},
            field="override_reason",
        )
    if cleaned:
        return cleaned
    if raw:
        raise ApplicantInputError(
            _("改动理由不能只有空格，请写明为什么不采用共享数据登记的信息。"),
            field="override_reason",
        )
    first = overrides[0]
    raise ApplicantInputError(
        _(
            "「%(field)s」与共享数据登记的不一致。留空即按登记信息填写；确需改动，"
            "请填写改动理由，改动将记录并转人工审查。"
        )
        % {"field": first.label},
        field=first.input_name,
    )


def overrides_record(
    *,
    case: Case,
    overrides: list[FieldOverride],
    reason: str,
    actor: Any = None,
    actor_label: str = "",
    verification_id: int | None = None,
) -> list[CaseEvent]:
    """One ``registry_override`` event per changed field, in the caller's transaction.

    The event keeps the values in full (it is the audit record); its note, which the
    timeline shows, masks a person's."""
    kind = case.applicant.kind
    events = []
    for override in overrides:
        data = {
            "field": override.field,
            "item": override.item,
            "label": override.label,
            "registry": override.registry,
            "registry_value": override.registry_value,
            "typed_value": override.typed_value,
            "reason": reason,
            "verification": verification_id,
        }
        events.append(
            CaseEvent.objects.create(
                case=case,
                kind=EventKind.NOTE,
                name=OVERRIDE_EVENT,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                actor_label="" if getattr(actor, "is_authenticated", False) else actor_label,
                note=_(
                    "改动共享数据登记的「%(field)s」：登记为「%(registry)s」，改为「%(typed)s」。"
                    "理由：%(reason)s"
                )
                % {
                    "field": override.label,
                    "registry": override_value_masked(
                        data=data, value=override.registry_value, kind=kind
                    ),
                    "typed": override_value_masked(
                        data=data, value=override.typed_value, kind=kind
                    ),
                    "reason": reason,
                },
                data=data,
                is_public=False,
            )
        )
    return events


def case_overridden_fields(*, case: Case) -> set[str]:
    """The applicant's fields whose registry value this case replaced, with a reason."""
    return {
        data.get("field")
        for data in CaseEvent.objects.filter(case=case, name=OVERRIDE_EVENT).values_list(
            "data", flat=True
        )
        if isinstance(data, dict) and not data.get("item")
    }


def case_has_registry_override(*, case_id: int) -> bool:
    """Whether a registry-provided value of the case was replaced: then no item of it is
    decided automatically."""
    return case_event_exists(case_id=case_id, name=OVERRIDE_EVENT)
