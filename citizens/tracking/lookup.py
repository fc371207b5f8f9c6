"""``track_lookup``: the case's public view, from one JSON document on PostgreSQL or the ORM elsewhere."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import get_script_prefix
from django.utils.translation import get_language

from cases.constants import ApplicantKind
from certificates.selectors import certificate_effective_status
from departments.identifiers import mask_name

from ..constants import STAGE_OF_SITUATION, Stage
from ..selectors import (
    ID_SUFFIX_PATTERN,
    TRACKING_NO_PATTERN,
    _event_label,
    case_for_tracking,
    case_public_situation,
    case_public_view,
    tracking_no_clean,
)
from .cursor import _fetch_one
from .labels import _Event, _labels
from .statements import TRACK_SQL
from .verify import _TOKEN, _verify_path


def track_lookup(*, tracking_no: str, id_suffix: str) -> dict[str, Any] | None:
    """The public view of the case if the number exists *and* the ID number ends with
    the suffix; else None (unknown, wrong suffix and malformed input alike)."""
    database = connections[DEFAULT_DB_ALIAS]  # the proxy's every attribute is a lookup
    if database.vendor != "postgresql":
        case = case_for_tracking(tracking_no=tracking_no, id_suffix=id_suffix)
        return case_public_view(case=case) if case is not None else None
    tracking_no = tracking_no_clean(tracking_no)
    id_suffix = (id_suffix or "").strip().upper()
    if not TRACKING_NO_PATTERN.match(tracking_no) or not ID_SUFFIX_PATTERN.match(id_suffix):
        tracking_no = ""  # still query, for the same timing; matches nothing
    row = _fetch_one(TRACK_SQL, [tracking_no, id_suffix])
    return _public_view_from_document(json.loads(row[0])) if row is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> dt.datetime | None:
    # json_build_object writes timestamptz as ISO 8601 with the connection's UTC offset.
    return dt.datetime.fromisoformat(value) if value else None


def _public_view_from_document(document: dict[str, Any]) -> dict[str, Any]:
    """The database's JSON document turned into ``case_public_view``'s exact shape."""
    labels = _labels(get_language() or settings.LANGUAGE_CODE)
    state = document["state"]
    delivery = document["delivery"]
    situation = case_public_situation(
        state=state,
        has_unsigned_certificate=document["unsigned_certificates"],
        last_delivery_status=delivery[2] if delivery else None,
    )
    stage = STAGE_OF_SITUATION.get(situation, Stage.RECEIVED)
    name = document["applicant_name"]
    missing: list[dict[str, Any]] = [
        {
            "material_type": code,
            "name": material_name,
            "item": "",
            "department": "",
            "reason": "",
            "what_to_do": labels["pending_what_to_do"],
        }
        for code, material_name in document["missing"] or ()
    ]
    missing.extend(
        {
            "material_type": code,
            "name": material_name,
            "item": item,
            "department": department,
            "reason": reason,
            "what_to_do": labels["supplement_what_to_do"],
        }
        for code, material_name, item, department, reason in document["supplements"] or ()
    )
    events = labels["event"]
    return {
        "tracking_no": document["tracking_no"],
        "state": state,
        "state_display": labels["case_state"].get(state, state),
        "stage": stage.value,
        "stage_display": labels["stage"][stage.value],
        "explanation": labels["explanation"].get(situation, ""),
        "applicant_masked": mask_name(name)
        if document["applicant_kind"] == ApplicantKind.PERSON
        else name,
        "due_date": _date(document["due_date"]),
        "items": [
            {
                "code": code,
                "name": item_name,
                "department": department,
                "approval_state": approval_state,
                "approval_state_display": labels["approval_state"].get(
                    approval_state, approval_state
                )
                if approval_state
                else "",
                "due_date": _date(due_date),
            }
            for code, item_name, department, approval_state, due_date in document["items"] or ()
        ],
        "timeline": [
            {
                "at": _datetime(at),
                "event": events.get(event) or _event_label(_Event(event)),  # type: ignore[arg-type]
                "item": item,
                "note": note,
            }
            for at, event, item, note in document["timeline"] or ()
        ],
        "missing": missing,
        "delivery": (
            {
                "courier": delivery[0],
                "courier_display": labels["courier"].get(delivery[0], delivery[0]),
                "waybill": delivery[1],
                "status": delivery[2],
                "status_display": labels["delivery_status"].get(delivery[2], delivery[2]),
                "delivered_at": _datetime(delivery[3]),
            }
            if delivery
            else None
        ),
        "certificates": [
            {
                "number": number,
                "type": type_name,
                "status": _certificate_status(status, _date(valid_until)),
                "verify_path": _verify_path(get_script_prefix()).replace(_TOKEN, token),
            }
            for number, type_name, status, valid_until, token in document["certificates"] or ()
        ],
    }


class _Certificate:
    __slots__ = ("status", "valid_until")

    def __init__(self, status: str, valid_until: dt.date | None) -> None:
        self.status = status
        self.valid_until = valid_until


def _certificate_status(status: str, valid_until: dt.date | None) -> str:
    return str(
        certificate_effective_status(certificate=_Certificate(status, valid_until))  # type: ignore[arg-type]
    )
