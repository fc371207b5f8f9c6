"""The public tracking read (``/track/`` and ``GET /api/v1/track/<no>/``), made cheap.

``track_lookup`` answers "tracking number + last four characters of the ID number" with
the case's public view (``selectors.case_public_view``'s shape), or ``None``.

On PostgreSQL it is **one query**: the case row, the suffix check and every public part
of the answer (items, public timeline, what is missing, the parcel, the certificates) are
built by the database as one JSON document, so a lookup costs one round trip and no ORM
query compilation (the ORM path costs six queries and most of the request's CPU time).
Every other database (the embedded SQLite) takes the portable ORM path; both give the
same answer, which a test checks for a case in every state.

A wrong suffix and an unknown number take the very same single query and both get no
row: the suffix is compared inside the query, so neither the answer nor the number of
round trips tells them apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.constants import (
    TRANSITION_LABELS,
    ApplicantKind,
    ApprovalState,
    CaseState,
    CourierCompany,
    DeliveryStatus,
    MaterialStatus,
)
from certificates.selectors import certificate_effective_status
from departments.identifiers import mask_name

from .constants import STAGE_OF_STATE, STATE_EXPLANATION, Stage
from .selectors import (
    ID_SUFFIX_PATTERN,
    TRACKING_NO_PATTERN,
    _event_label,
    case_for_tracking,
    case_public_view,
    tracking_no_clean,
)

# The whole public answer in one statement. Every sub-select is driven by an index on
# case_id; COALESCE evaluates the case's own item list only when it has no approvals yet
# (the ORM path's rule). Orders match the ORM path's order_by() exactly.
TRACK_SQL = f"""
SELECT json_build_object(
    'tracking_no', c.tracking_no,
    'state', c.state,
    'due_date', c.due_date,
    'applicant_kind', a.kind,
    'applicant_name', a.name,
    'items', COALESCE(
        (SELECT json_agg(json_build_array(i.code, i.name, d.name, ap.state, ap.due_date)
                         ORDER BY ap.id)
           FROM cases_approval ap
           JOIN departments_serviceitem i ON i.id = ap.item_id
           JOIN departments_department d ON d.id = ap.department_id
          WHERE ap.case_id = c.id),
        (SELECT json_agg(json_build_array(i.code, i.name, d.name, NULL, c.due_date)
                         ORDER BY i.code)
           FROM cases_case_items ci
           JOIN departments_serviceitem i ON i.id = ci.serviceitem_id
           JOIN departments_department d ON d.id = i.department_id
          WHERE ci.case_id = c.id)),
    'timeline',
        (SELECT json_agg(json_build_array(e.created_at, e.name, COALESCE(i.name, ''), e.note)
                         ORDER BY e.created_at, e.id)
           FROM cases_caseevent e
           LEFT JOIN cases_approval ap ON ap.id = e.approval_id
           LEFT JOIN departments_serviceitem i ON i.id = ap.item_id
          WHERE e.case_id = c.id AND e.is_public),
    'missing', CASE WHEN c.state = '{CaseState.PENDING_MATERIALS}' THEN
        (SELECT json_agg(json_build_array(mt.code, mt.name) ORDER BY m.id)
           FROM cases_casematerial m
           JOIN departments_materialtype mt ON mt.id = m.material_type_id
          WHERE m.case_id = c.id AND m.status = '{MaterialStatus.MISSING}') END,
    'supplements',
        (SELECT json_agg(json_build_array(x.code, COALESCE(mt.name, x.code), i.name, d.name,
                                          ap.decision_note)
                         ORDER BY ap.id, x.position)
           FROM cases_approval ap
           JOIN departments_serviceitem i ON i.id = ap.item_id
           JOIN departments_department d ON d.id = ap.department_id
           CROSS JOIN LATERAL jsonb_array_elements_text(
               CASE WHEN jsonb_typeof(ap.supplement_materials) = 'array'
                    THEN ap.supplement_materials ELSE '[]'::jsonb END
           ) WITH ORDINALITY AS x(code, position)
           LEFT JOIN departments_materialtype mt ON mt.code = x.code
          WHERE ap.case_id = c.id AND ap.state = '{ApprovalState.SUPPLEMENT_REQUESTED}'),
    'delivery',
        (SELECT json_build_array(dl.courier, dl.waybill, dl.status, dl.delivered_at)
           FROM cases_delivery dl
          WHERE dl.case_id = c.id
          ORDER BY dl.created_at DESC, dl.id DESC
          LIMIT 1),
    'certificates',
        (SELECT json_agg(json_build_array(ce.number, ct.name, ce.status, ce.valid_until,
                                          ce.verification_token)
                         ORDER BY ce.issued_at, ce.id)
           FROM cases_certificate ce
           JOIN departments_certificatetype ct ON ct.id = ce.certificate_type_id
          WHERE ce.case_id = c.id)
)::text
FROM cases_case c
JOIN cases_applicant a ON a.id = c.applicant_id
WHERE c.tracking_no = %s AND upper(right(a.id_number, 4)) = %s
"""


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
    with _prepared_cursor(database) as cursor:
        cursor.execute(TRACK_SQL, [tracking_no, id_suffix])
        row = cursor.fetchone()
    return _public_view_from_document(json.loads(row[0])) if row is not None else None


def _prepared_cursor(database):  # type: ignore[no-untyped-def]
    """A cursor whose statements are prepared on the server (protocol level, once per
    connection, kept by psycopg): planning this query costs several times what running
    it does, so it is planned once per connection instead of on every lookup. Wrapped
    like ``connection.cursor()``, so Django's error translation and query logging apply.

    Django leaves psycopg's automatic preparing off (``prepare_threshold`` None, for
    connection poolers) and its own cursors bind on the client, which never prepares;
    a threshold that is never reached keeps it that way for every other statement while
    ``prepare=True`` prepares this one (PgBouncer 1.21+ keeps protocol-level prepared
    statements in transaction mode too)."""
    database.ensure_connection()
    raw = database.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _NEVER
    cursor = _prepared_cursor_class()(raw)
    if database.queries_logged:
        return database.make_debug_cursor(cursor)
    return database.make_cursor(cursor)


_NEVER = 2**62


@functools.cache
def _prepared_cursor_class() -> type:
    import psycopg  # only PostgreSQL deployments have it

    class PreparedCursor(psycopg.Cursor):
        def execute(self, query, params=None, *, prepare=True, binary=None):  # type: ignore[no-untyped-def,override]
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparedCursor


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> dt.datetime | None:
    # json_build_object writes timestamptz as ISO 8601 with the connection's UTC offset.
    return dt.datetime.fromisoformat(value) if value else None


@functools.lru_cache(maxsize=16)
def _labels(language: str) -> dict[str, Any]:
    """Every label a public view uses, in ``language`` (the active one when first asked):
    a lookup in a plain dict instead of a gettext call per label per request. The
    wording is the ORM path's own (the same choices, ``STATE_EXPLANATION``,
    ``selectors._event_label``)."""

    def choices(enum: Any) -> dict[str, str]:
        return {value: str(label) for value, label in enum.choices}

    event_names = [*TRANSITION_LABELS, "rate", "supplement_upload"]
    return {
        "case_state": choices(CaseState),
        "approval_state": choices(ApprovalState),
        "courier": choices(CourierCompany),
        "delivery_status": choices(DeliveryStatus),
        "stage": {stage.value: str(stage.label) for stage in Stage},
        "explanation": {state: str(text) for state, text in STATE_EXPLANATION.items()},
        "event": {name: _event_label(_Event(name)) for name in event_names},  # type: ignore[arg-type]
        "pending_what_to_do": _("请登录「我的办件」在线上传，或一次带齐到综合窗口提交。"),
        "supplement_what_to_do": _("请登录「我的办件」在线上传补正材料，无需到现场。"),
    }


def _public_view_from_document(document: dict[str, Any]) -> dict[str, Any]:
    """The database's JSON document turned into ``case_public_view``'s exact shape."""
    labels = _labels(get_language() or settings.LANGUAGE_CODE)
    state = document["state"]
    stage = STAGE_OF_STATE.get(state, Stage.RECEIVED)
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
    delivery = document["delivery"]
    events = labels["event"]
    return {
        "tracking_no": document["tracking_no"],
        "state": state,
        "state_display": labels["case_state"].get(state, state),
        "stage": stage.value,
        "stage_display": labels["stage"][stage.value],
        "explanation": labels["explanation"].get(state, ""),
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


_TOKEN = "0TOKEN0"  # stands for a verification token (URL-safe: reverse() leaves it as is)


@functools.lru_cache(maxsize=8)
def _verify_path(script_prefix: str) -> str:
    """The verification URL with ``_TOKEN`` in place of the token, once per script
    prefix (the active one when first asked): ``reverse()`` per certificate was a
    visible share of a lookup's CPU time."""
    return reverse("certificates:verify", args=[_TOKEN])


class _Event:
    """Just enough of a CaseEvent for ``selectors._event_label`` (one wording for both paths)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Certificate:
    __slots__ = ("status", "valid_until")

    def __init__(self, status: str, valid_until: dt.date | None) -> None:
        self.status = status
        self.valid_until = valid_until


def _certificate_status(status: str, valid_until: dt.date | None) -> str:
    return str(
        certificate_effective_status(certificate=_Certificate(status, valid_until))  # type: ignore[arg-type]
    )
