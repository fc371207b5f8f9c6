"""Reads of the changes made to registry-provided values (``registry_override`` events),
for the reviewer's pages, the window and the API.

Who reads them decides how much they see: the clerk at the window and the reviewers of
the case's departments need the values in full to judge the change; anyone else (a
supervisor reading the audit trail, the timeline) sees a person's name and address masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch

from departments.identifiers import mask_name

from ..constants import REGISTRY_OVERRIDE_EVENT, ApplicantKind
from ..models import Case, CaseEvent

# Fields of a person that are personal data; an organisation's name and address are not.
PERSONAL_APPLICANT_FIELDS = {
    ApplicantKind.PERSON: {"name", "address", "legal_representative"},
    ApplicantKind.ORGANISATION: {"legal_representative"},
}
ADDRESS_SHOWN_CHARACTERS = 6


def override_value_masked(*, data: Mapping[str, Any], value: str, kind: str) -> str:
    """A value of an override as people who need not read it in full see it: a person's
    name ``张*丰``, an address cut after its first six characters; form fields (which may
    hold anyone's data) like names."""
    field = data.get("field", "")
    personal = bool(data.get("item")) or field in PERSONAL_APPLICANT_FIELDS.get(kind, set())
    if not personal or not value:
        return value
    if field == "address":
        characters = list(value)
        hidden = max(len(characters) - ADDRESS_SHOWN_CHARACTERS, 1)
        return "".join(characters[:ADDRESS_SHOWN_CHARACTERS]) + "*" * min(hidden, 8)
    return mask_name(value)


def registry_override_events() -> Prefetch:
    """Prefetch for a list of approvals: their case's overrides as
    ``case.registry_override_events`` (one query for the whole page)."""
    return Prefetch(
        "case__events",
        queryset=CaseEvent.objects.filter(name=REGISTRY_OVERRIDE_EVENT)
        .select_related("actor")
        .order_by("created_at", "id"),
        to_attr="registry_override_events",
    )


def case_registry_overrides(
    *, case: Case, in_full: bool, item_codes: set[str] | None = None
) -> list[dict[str, Any]]:
    """The case's overrides, oldest first: field, item, registry, both values, reason,
    who and when. ``item_codes``: form-field changes of these items only (a reviewer
    sees the applicant's details and their own item's form, not other departments')."""
    rows = []
    events = getattr(case, "registry_override_events", None)
    if events is None:
        events = (
            CaseEvent.objects.filter(case=case, name=REGISTRY_OVERRIDE_EVENT)
            .select_related("actor")
            .order_by("created_at", "id")
        )
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        item = data.get("item") or ""
        if item and item_codes is not None and item not in item_codes:
            continue
        registry_value = str(data.get("registry_value") or "")
        typed_value = str(data.get("typed_value") or "")
        if not in_full:
            kind = case.applicant.kind  # read only when masking: a list need not join it
            registry_value = override_value_masked(data=data, value=registry_value, kind=kind)
            typed_value = override_value_masked(data=data, value=typed_value, kind=kind)
        rows.append(
            {
                "at": event.created_at,
                "actor": str(event.actor) if event.actor is not None else event.actor_label,
                "field": data.get("field", ""),
                "label": data.get("label") or data.get("field", ""),
                "item": item,
                "registry": data.get("registry") or "",
                "registry_value": registry_value,
                "typed_value": typed_value,
                "reason": data.get("reason", ""),
            }
        )
    return rows


def registry_override_exists(case_field: str = "pk") -> Exists:
    """For annotating a list: whether the row's case has an override (one subquery)."""
    return Exists(
        CaseEvent.objects.filter(case_id=OuterRef(case_field), name=REGISTRY_OVERRIDE_EVENT)
    )
